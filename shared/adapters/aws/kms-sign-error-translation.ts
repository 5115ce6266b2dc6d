import { type BrokerError, CipherUnavailableError, SigningFailedError } from '../../core/errors.ts';
import { KMS_TRANSIENT_ERRORS } from './kms-error-translation.ts';
import { keepableCause, shapeOf } from './sdk-error.ts';

export type KmsSignOperation = 'sign' | 'get-public-key';

// KMS is busy or unreachable: the same Sign can succeed later (CIPHER_UNAVAILABLE, which the engine
// already backs off on); the set is the envelope cipher's.
const TRANSIENT = KMS_TRANSIENT_ERRORS;

const REASONS: Readonly<Record<string, string>> = {
  AccessDeniedException: 'access denied (the function role lacks kms:Sign / kms:GetPublicKey on this key)',
  DisabledException: 'the key is disabled',
  KMSInvalidStateException: 'the key is not in a usable state (pending deletion or import)',
  NotFoundException: 'the key was not found',
  InvalidKeyUsageException:
    'the key is not an RSA SIGN_VERIFY key or does not allow RSASSA_PKCS1_V1_5_SHA_256',
  InvalidGrantTokenException: 'a grant token was refused',
  InvalidArnException: 'the key ARN is malformed',
  UnsupportedOperationException: 'the key does not support this operation',
};

/**
 * Maps a failed Sign or GetPublicKey to broker errors: transient failures become
 * CIPHER_UNAVAILABLE (retryable, the engine records a backoff), a key that cannot sign (disabled,
 * missing, denied, wrong usage) SIGNING_FAILED (not retried: an operator must fix the key or the
 * grant). Messages carry fixed text, the key ARN and the AWS error name only.
 */
export const translateKmsSignError = (
  error: unknown,
  operation: KmsSignOperation,
  keyArn: string,
): BrokerError => {
  const shape = shapeOf(error);
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const options = { cause: keepableCause(error, 'KMS'), details: { keyArn, awsError: name, operation } };
  const verb = operation === 'sign' ? 'sign the assertion' : 'read the public key';
  if (TRANSIENT.has(name) || shape.$retryable?.throttling === true) {
    return new CipherUnavailableError(`KMS could not ${verb} right now (${name}).`, options);
  }
  const reason = REASONS[name];
  if (reason !== undefined)
    return new SigningFailedError(`KMS refused to ${verb} with ${keyArn}: ${reason}.`, options);
  // Another client fault (bad request, expired credentials): the same call will not succeed.
  if (shape.$fault === 'client')
    return new SigningFailedError(`KMS refused to ${verb} with ${keyArn}: ${name}.`, options);
  // Server faults, network errors and anything unrecognized may pass.
  return new CipherUnavailableError(`KMS could not ${verb} right now (${name}).`, options);
};
