import {
  type BrokerError,
  CipherUnavailableError,
  DecryptionFailedError,
  EncryptionFailedError,
} from '../../core/errors.ts';

export type KmsOperation = 'seal' | 'open';

// The key service is busy or unreachable: the same call can succeed later, the ciphertext is fine.
const TRANSIENT = new Set([
  'ThrottlingException',
  'LimitExceededException',
  'KMSInternalException',
  'DependencyTimeoutException',
  // A custom key store that is momentarily disconnected.
  'KeyUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

// This envelope, or this key, will not work no matter how often it is tried.
const FINAL = new Set([
  'InvalidCiphertextException',
  'IncorrectKeyException',
  'AccessDeniedException',
  'KMSInvalidStateException',
  'DisabledException',
  'NotFoundException',
  'InvalidKeyUsageException',
  'InvalidGrantTokenException',
  'InvalidArnException',
  'UnsupportedOperationException',
]);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string };
  readonly $retryable?: { readonly throttling?: boolean };
  readonly $responseBodyText?: unknown;
}

const shapeOf = (error: unknown): SdkErrorShape =>
  typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};

/**
 * The SDK error to keep as `cause`, unless it may carry the response body: a GenerateDataKey or
 * Decrypt response that fails to parse leaves its raw body (which holds the plaintext data key) on
 * the error and quotes part of it in the message. Such an error is replaced by its name and
 * request metadata only.
 */
const keepableCause = (error: unknown): unknown => {
  const shape = shapeOf(error);
  const mayHoldBody =
    shape.$responseBodyText !== undefined ||
    shape.name === 'SyntaxError' ||
    (typeof shape.message === 'string' && shape.message.includes('Deserialization error'));
  if (!mayHoldBody) return error;
  const scrubbed = new Error('KMS response could not be parsed (body withheld).');
  scrubbed.name = typeof shape.name === 'string' ? shape.name : 'Error';
  return Object.assign(scrubbed, { $metadata: shape.$metadata });
};

/**
 * Maps a failed GenerateDataKey (seal) or Decrypt (open) to the broker's cipher errors: final
 * failures become ENCRYPT_FAILED / DECRYPT_FAILED, transient ones CIPHER_UNAVAILABLE (retryable).
 * Messages carry fixed text and the key ARN only.
 */
export const translateKmsError = (error: unknown, operation: KmsOperation, keyArn: string): BrokerError => {
  const shape = shapeOf(error);
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const options = { cause: keepableCause(error), details: { keyArn, awsError: name } };
  const verb = operation === 'seal' ? 'generate a data key' : 'decrypt the data key';

  const final = (why: string) =>
    operation === 'seal'
      ? new EncryptionFailedError(`KMS refused to ${verb} with ${keyArn}: ${why}.`, options)
      : new DecryptionFailedError(`KMS refused to ${verb} with ${keyArn}: ${why}.`, options);

  if (TRANSIENT.has(name) || shape.$retryable?.throttling === true) {
    return new CipherUnavailableError(`KMS could not ${verb} right now (${name}).`, options);
  }
  switch (name) {
    case 'InvalidCiphertextException':
      return final('the ciphertext or its encryption context does not match');
    case 'IncorrectKeyException':
      return final('the envelope was sealed under a different key');
    case 'AccessDeniedException':
      return final('access denied');
    case 'KMSInvalidStateException':
    case 'DisabledException':
      return final('the key is disabled or not in a usable state');
    case 'NotFoundException':
      return final('the key was not found');
  }
  if (FINAL.has(name)) return final(name);
  // Another service-reported client fault (bad request, expired credentials): retrying the same call
  // will not help. Server faults, network errors and anything unrecognized may pass.
  if (shape.$fault === 'client') return final(name);
  return new CipherUnavailableError(`KMS could not ${verb} right now (${name}).`, options);
};
