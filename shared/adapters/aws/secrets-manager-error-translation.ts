import {
  type BrokerError,
  SecretAccessDeniedError,
  SecretNotFoundError,
  SecretThrottledError,
  SecretUnavailableError,
} from '../../core/errors.ts';
import { keepableCause, shapeOf, THROTTLING_ERRORS } from './sdk-error.ts';

const ACCESS_DENIED = new Set(['AccessDeniedException', 'DecryptionFailure']);

/**
 * Maps a failed GetSecretValue to the broker's SECRET_* errors. Messages are built from fixed text
 * and the secret id only; the AWS message is not copied in (it is kept, when safe, on `cause`).
 */
export const translateSecretsManagerError = (error: unknown, secretId: string): BrokerError => {
  const shape = shapeOf(error);
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const message = typeof shape.message === 'string' ? shape.message : '';
  const options = { cause: keepableCause(error, 'Secrets Manager'), details: { secretId, awsError: name } };

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
  if (THROTTLING_ERRORS.has(name) || shape.$retryable?.throttling === true) {
    return new SecretThrottledError(`Secrets Manager throttled reading secret ${secretId}.`, options);
  }
  // InternalServiceError, timeouts, network failures and anything unrecognized: retryable.
  return new SecretUnavailableError(`Secrets Manager could not be reached for secret ${secretId}.`, options);
};
