import { describe, expect, it } from 'vitest';
import { InternalError, SecretThrottledError, UpstreamRetryableError } from '../../shared/core/errors.ts';
import { rotationFailure } from '../../shared/rotation/rotation-failure.ts';

describe('a rotation failure', () => {
  it('keeps the class, code, retry hint and upstream status of the failure it re-states', () => {
    const cause = new UpstreamRetryableError('Canvas create failed: HTTP 429', {
      upstreamStatus: 429,
      retryAfterSeconds: 30,
      details: { operation: 'create' },
    });
    const error = rotationFailure('createSecret could not mint', cause, { step: 'createSecret' });
    expect(error).toBeInstanceOf(UpstreamRetryableError);
    expect(error).toMatchObject({
      code: 'UPSTREAM_RETRYABLE',
      message: 'createSecret could not mint: Canvas create failed: HTTP 429',
      upstreamStatus: 429,
      retryAfterSeconds: 30,
      details: { operation: 'create', step: 'createSecret' },
      cause,
    });
    expect(rotationFailure('x', new SecretThrottledError('slow'), {})).toBeInstanceOf(SecretThrottledError);
  });

  it('states anything that is not a broker error as INTERNAL, without quoting it', () => {
    const error = rotationFailure('setSecret failed', new Error('raw vendor text'), { step: 'setSecret' });
    expect(error).toBeInstanceOf(InternalError);
    expect(error.message).not.toContain('raw vendor text');
  });
});
