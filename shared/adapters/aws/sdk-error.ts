/** The fields of an AWS SDK v3 service exception the translations read. */
export interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string };
  readonly $retryable?: { readonly throttling?: boolean };
  readonly $responseBodyText?: unknown;
}

export const shapeOf = (error: unknown): SdkErrorShape =>
  typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};

/** Names AWS services use for throttling, across Secrets Manager, KMS and the rotation calls. */
export const THROTTLING_ERRORS: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'LimitExceededException',
  'RequestLimitExceeded',
]);

/**
 * The SDK error to keep as `cause`, unless it may carry the response body. When a response fails to
 * parse, the SDK attaches the raw body (`$responseBodyText`) and its SyntaxError message quotes part
 * of it: for GetSecretValue that body is the secret, for GenerateDataKey/Decrypt the plaintext data
 * key. Such an error is replaced by one holding only its name and request metadata, so no logger
 * that walks `cause` can print it.
 */
export const keepableCause = (error: unknown, service: string): unknown => {
  const shape = shapeOf(error);
  const mayHoldBody =
    shape.$responseBodyText !== undefined ||
    shape.name === 'SyntaxError' ||
    (typeof shape.message === 'string' && shape.message.includes('Deserialization error'));
  if (!mayHoldBody) return error;
  const scrubbed = new Error(`${service} response could not be parsed (body withheld).`);
  scrubbed.name = typeof shape.name === 'string' ? shape.name : 'Error';
  return Object.assign(scrubbed, { $metadata: shape.$metadata });
};
