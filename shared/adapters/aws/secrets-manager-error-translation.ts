import {
  type BrokerError,
  SecretAccessDeniedError,
  SecretNotFoundError,
  SecretThrottledError,
  SecretUnavailableError,
} from '../../core/errors.ts';

const THROTTLED = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'LimitExceededException',
  'RequestLimitExceeded',
]);
const ACCESS_DENIED = new Set(['AccessDeniedException', 'DecryptionFailure']);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string };
  readonly $retryable?: { readonly throttling?: boolean };
  readonly $responseBodyText?: unknown;
}

const shapeOf = (error: unknown): SdkErrorShape =>
  typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};

/**
 * The SDK error to keep as `cause`, unless it may carry the response body. When a GetSecretValue
 * response fails to parse, the SDK attaches the raw body (`$responseBodyText`, `$response.body`)
 * and its SyntaxError message quotes part of it: that body is the secret value. Such an error is
 * replaced by one holding only its name and request metadata, so no logger that walks `cause`
 * can print the secret.
 */
const keepableCause = (error: unknown): unknown => {
  const shape = shapeOf(error);
  const mayHoldBody =
    shape.$responseBodyText !== undefined ||
    shape.name === 'SyntaxError' ||
    (typeof shape.message === 'string' && shape.message.includes('Deserialization error'));
  if (!mayHoldBody) return error;
  const scrubbed = new Error('Secrets Manager response could not be parsed (body withheld).');
  scrubbed.name = typeof shape.name === 'string' ? shape.name : 'Error';
  return Object.assign(scrubbed, { $metadata: shape.$metadata });
};

/**
 * Maps a failed GetSecretValue to the broker's SECRET_* errors. Messages are built from fixed text
 * and the secret id only; the AWS message is not copied in (it is kept, when safe, on `cause`).
 */
export const translateSecretsManagerError = (error: unknown, secretId: string): BrokerError => {
  const shape = shapeOf(error);
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const message = typeof shape.message === 'string' ? shape.message : '';
  const options = { cause: keepableCause(error), details: { secretId, awsError: name } };

  if (name === 'ResourceNotFoundException') {
    return new SecretNotFoundError(`Secret ${secretId} was not found in Secrets Manager.`, options);
  }
  // A secret scheduled for deletion answers InvalidRequestException; for the broker it is gone.
  if (name === 'InvalidRequestException' && /marked for deletion/i.test(message)) {
    return new SecretNotFoundError(`Secret ${secretId} is scheduled for deletion.`, options);
  }
  if (ACCESS_DENIED.has(name)) {
    return new SecretAccessDeniedError(
      `The broker may not read secret ${secretId} (or decrypt it with its KMS key).`,
      options,
    );
  }
  if (THROTTLED.has(name) || shape.$retryable?.throttling === true) {
    return new SecretThrottledError(`Secrets Manager throttled reading secret ${secretId}.`, options);
  }
  // InternalServiceError, timeouts, network failures and anything unrecognized: retryable.
  return new SecretUnavailableError(`Secrets Manager could not be reached for secret ${secretId}.`, options);
};
