import {
  type BrokerError,
  SecretAccessDeniedError,
  SecretNotFoundError,
  SecretThrottledError,
  SecretUnavailableError,
} from '../../core/errors.ts';
import { keepableCause } from './sdk-error.ts';
import { classifySecretsManagerFailure } from './secrets-manager-failure.ts';

const ACCESS_DENIED = new Set(['AccessDeniedException', 'DecryptionFailure']);

/**
 * Maps a failed GetSecretValue to the broker's SECRET_* errors. Messages are built from fixed text
 * and the secret id only; the AWS message is not copied in (it is kept, when safe, on `cause`).
 */
export const translateSecretsManagerError = (error: unknown, secretId: string): BrokerError => {
  const { kind, name } = classifySecretsManagerFailure(error, ACCESS_DENIED);
  const options = { cause: keepableCause(error, 'Secrets Manager'), details: { secretId, awsError: name } };
  switch (kind) {
    case 'not-found':
      return new SecretNotFoundError(`Secret ${secretId} was not found in Secrets Manager.`, options);
    case 'deleting':
      return new SecretNotFoundError(`Secret ${secretId} is scheduled for deletion.`, options);
    case 'denied':
      return new SecretAccessDeniedError(
        `The broker may not read secret ${secretId} (or decrypt it with its KMS key).`,
        options,
      );
    case 'throttled':
      return new SecretThrottledError(`Secrets Manager throttled reading secret ${secretId}.`, options);
    // A refused read (a bad argument) is no caller's mistake: retried like an outage.
    default:
      return new SecretUnavailableError(
        `Secrets Manager could not be reached for secret ${secretId}.`,
        options,
      );
  }
};
