import {
  BadRequestError,
  type BrokerError,
  SecretAccessDeniedError,
  SecretNotFoundError,
  SecretThrottledError,
  SecretUnavailableError,
} from '../../core/errors.ts';
import { classifySecretsManagerFailure } from './secrets-manager-failure.ts';

const ACCESS_DENIED = new Set(['AccessDeniedException', 'DecryptionFailure', 'EncryptionFailure']);
/**
 * Maps a failed DescribeSecret, PutSecretValue or UpdateSecretVersionStage to the broker's errors,
 * naming the operation (GetSecretValue goes through `translateSecretsManagerError`, which also
 * scrubs a cause that may quote the secret value). These responses carry no secret value, so the
 * SDK error is kept as `cause`; its message is not copied in, as elsewhere.
 */
export const translateSecretsManagerRotationError = (
  error: unknown,
  secretId: string,
  operation: 'DescribeSecret' | 'PutSecretValue' | 'UpdateSecretVersionStage',
): BrokerError => {
  const { kind, name } = classifySecretsManagerFailure(error, ACCESS_DENIED);
  const options = { cause: error, details: { secretId, operation, awsError: name } };
  switch (kind) {
    case 'not-found':
      return new SecretNotFoundError(
        `${operation}: secret ${secretId} was not found in Secrets Manager.`,
        options,
      );
    case 'deleting':
      return new SecretNotFoundError(`${operation}: secret ${secretId} is scheduled for deletion.`, options);
    case 'denied':
      return new SecretAccessDeniedError(
        `${operation}: the rotation function may not do this on secret ${secretId} (or use its KMS key).`,
        options,
      );
    case 'throttled':
      return new SecretThrottledError(
        `${operation}: Secrets Manager throttled the call for secret ${secretId}.`,
        options,
      );
    case 'refused':
      return new BadRequestError(
        `${operation}: Secrets Manager refused the call for secret ${secretId} (${name}); check its versions and staging labels.`,
        options,
      );
    default:
      return new SecretUnavailableError(
        `${operation}: Secrets Manager could not be reached for secret ${secretId}.`,
        options,
      );
  }
};
