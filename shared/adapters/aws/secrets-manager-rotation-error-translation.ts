import {
  BadRequestError,
  type BrokerError,
  SecretAccessDeniedError,
  SecretNotFoundError,
  SecretThrottledError,
  SecretUnavailableError,
} from '../../core/errors.ts';
import { shapeOf, THROTTLING_ERRORS } from './sdk-error.ts';

const ACCESS_DENIED = new Set(['AccessDeniedException', 'DecryptionFailure', 'EncryptionFailure']);
/** Secrets Manager refusing the call for the secret's state or the arguments: no retry fixes it. */
const REFUSED = new Set([
  'InvalidRequestException',
  'InvalidParameterException',
  'PreconditionNotMetException',
]);

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
  const shape = shapeOf(error);
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const message = typeof shape.message === 'string' ? shape.message : '';
  const options = { cause: error, details: { secretId, operation, awsError: name } };

  if (name === 'ResourceNotFoundException') {
    return new SecretNotFoundError(
      `${operation}: secret ${secretId} was not found in Secrets Manager.`,
      options,
    );
  }
  if (name === 'InvalidRequestException' && /marked for deletion/i.test(message)) {
    return new SecretNotFoundError(`${operation}: secret ${secretId} is scheduled for deletion.`, options);
  }
  if (ACCESS_DENIED.has(name)) {
    return new SecretAccessDeniedError(
      `${operation}: the rotation function may not do this on secret ${secretId} (or use its KMS key).`,
      options,
    );
  }
  if (THROTTLING_ERRORS.has(name) || shape.$retryable?.throttling === true) {
    return new SecretThrottledError(
      `${operation}: Secrets Manager throttled the call for secret ${secretId}.`,
      options,
    );
  }
  if (REFUSED.has(name)) {
    return new BadRequestError(
      `${operation}: Secrets Manager refused the call for secret ${secretId} (${name}); check its versions and staging labels.`,
      options,
    );
  }
  return new SecretUnavailableError(
    `${operation}: Secrets Manager could not be reached for secret ${secretId}.`,
    options,
  );
};
