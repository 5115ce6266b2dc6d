import { describe, expect, it } from 'vitest';
import { translateSecretsManagerRotationError } from '../../../shared/adapters/aws/secrets-manager-rotation-error-translation.ts';
import type { ErrorCode } from '../../../shared/core/errors.ts';

const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:canvas/broker-AbCdEf';
const named = (name: string, message = `${name} happened`) => Object.assign(new Error(message), { name });

describe('Secrets Manager rotation error translation', () => {
  it.each<[string, unknown, ErrorCode]>([
    ['ResourceNotFoundException', named('ResourceNotFoundException'), 'SECRET_NOT_FOUND'],
    [
      'a secret marked for deletion',
      named('InvalidRequestException', 'it was marked for deletion'),
      'SECRET_NOT_FOUND',
    ],
    ['AccessDeniedException', named('AccessDeniedException'), 'SECRET_ACCESS_DENIED'],
    ['EncryptionFailure', named('EncryptionFailure'), 'SECRET_ACCESS_DENIED'],
    ['DecryptionFailure', named('DecryptionFailure'), 'SECRET_ACCESS_DENIED'],
    ['ThrottlingException', named('ThrottlingException'), 'SECRET_THROTTLED'],
    ['LimitExceededException', named('LimitExceededException'), 'SECRET_THROTTLED'],
    [
      'an error the SDK marks as throttling',
      Object.assign(named('Whatever'), { $retryable: { throttling: true } }),
      'SECRET_THROTTLED',
    ],
    ['InvalidRequestException', named('InvalidRequestException'), 'BAD_REQUEST'],
    ['InvalidParameterException', named('InvalidParameterException'), 'BAD_REQUEST'],
    ['PreconditionNotMetException', named('PreconditionNotMetException'), 'BAD_REQUEST'],
    ['InternalServiceError', named('InternalServiceError'), 'SECRET_UNAVAILABLE'],
    ['a non-error value', 'weird', 'SECRET_UNAVAILABLE'],
  ])('maps %s to its broker code, naming the operation and the secret', (_label, thrown, code) => {
    const error = translateSecretsManagerRotationError(thrown, SECRET_ID, 'UpdateSecretVersionStage');
    expect(error.code).toBe(code);
    expect(error.message).toContain('UpdateSecretVersionStage');
    expect(error.message).toContain(SECRET_ID);
    expect(error.cause).toBe(thrown);
  });

  it('does not copy the AWS message into its own', () => {
    const error = translateSecretsManagerRotationError(
      named('InvalidParameterException', 'detail-from-aws-1234'),
      SECRET_ID,
      'PutSecretValue',
    );
    expect(error.message).not.toContain('detail-from-aws-1234');
  });
});
