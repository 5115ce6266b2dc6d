import { describe, expect, it } from 'vitest';
import { UpstreamRetryableError } from '../../shared/core/errors.ts';
import { makeRotationHandler } from '../../shared/rotation/rotation-handler.ts';
import { makeCapturingLogger } from '../support/canary.ts';

describe('the rotation function body', () => {
  it('runs the step with the event it was given', async () => {
    const seen: unknown[] = [];
    const handler = makeRotationHandler(
      { rotate: async (event) => void seen.push(event) },
      makeCapturingLogger(),
    );
    await handler({ Step: 'setSecret' });
    expect(seen).toEqual([{ Step: 'setSecret' }]);
  });

  it('logs a failed step by code and rethrows it, so Secrets Manager retries the rotation', async () => {
    const logger = makeCapturingLogger();
    const failure = new UpstreamRetryableError('Canvas token create failed: HTTP 503', {
      details: { secretId: 'arn:x', step: 'createSecret' },
    });
    const handler = makeRotationHandler(
      {
        rotate: async () => {
          throw failure;
        },
      },
      logger,
    );
    await expect(handler({})).rejects.toBe(failure);
    expect(logger.entries).toEqual([
      {
        level: 'error',
        message: 'rotation step failed',
        fields: {
          code: 'UPSTREAM_RETRYABLE',
          message: failure.message,
          retryable: true,
          secretId: 'arn:x',
          step: 'createSecret',
        },
      },
    ]);
  });

  it('replaces an unexpected error with INTERNAL, whose message says nothing it did not write', async () => {
    const logger = makeCapturingLogger();
    const handler = makeRotationHandler(
      {
        rotate: async () => {
          throw new TypeError('something odd with 1~secretish');
        },
      },
      logger,
    );
    await expect(handler({})).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'Rotation step failed unexpectedly.',
    });
    expect(logger.lines().join('\n')).not.toContain('secretish');
  });
});
