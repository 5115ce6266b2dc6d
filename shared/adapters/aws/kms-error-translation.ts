import {
  type BrokerError,
  CipherUnavailableError,
  DecryptionFailedError,
  EncryptionFailedError,
} from '../../core/errors.ts';
import { keepableCause, shapeOf } from './sdk-error.ts';

export type KmsOperation = 'seal' | 'open';

/** The key service is busy or unreachable: the same call can succeed later (Decrypt, Encrypt, Sign alike). */
export const KMS_TRANSIENT_ERRORS: ReadonlySet<string> = new Set([
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

/**
 * Maps a failed GenerateDataKey (seal) or Decrypt (open) to the broker's cipher errors: final
 * failures become ENCRYPT_FAILED / DECRYPT_FAILED, transient ones CIPHER_UNAVAILABLE (retryable).
 * Messages carry fixed text and the key ARN only.
 */
export const translateKmsError = (error: unknown, operation: KmsOperation, keyArn: string): BrokerError => {
  const shape = shapeOf(error);
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const options = { cause: keepableCause(error, 'KMS'), details: { keyArn, awsError: name } };
  const verb = operation === 'seal' ? 'generate a data key' : 'decrypt the data key';

  const final = (why: string) =>
    operation === 'seal'
      ? new EncryptionFailedError(`KMS refused to ${verb} with ${keyArn}: ${why}.`, options)
      : new DecryptionFailedError(`KMS refused to ${verb} with ${keyArn}: ${why}.`, options);

  if (KMS_TRANSIENT_ERRORS.has(name) || shape.$retryable?.throttling === true) {
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
