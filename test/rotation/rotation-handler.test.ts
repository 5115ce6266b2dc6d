import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UpstreamRetryableError } from '../../shared/core/errors.ts';
import { makeRotationHandler } from '../../shared/rotation/rotation-handler.ts';
import { makeCapturingLogger } from '../support/canary.ts';
import {
  makeRotationRig,
  newRequestToken,
  type RotationSimulator,
  startRotationSimulator,
} from './support/rotation-harness.ts';

let simulator: RotationSimulator;
beforeAll(async () => {
  simulator = await startRotationSimulator();
});
afterAll(() => simulator.sim.stop());

/** The error and its causes, outermost first. */
const causesOf = (error: unknown): unknown[] => {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && chain.length < 10; e = (e as { cause?: unknown }).cause)
    chain.push(e);
  return chain;
};

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

  it('stops the in-flight Canvas call when the invocation is aborted, and makes no further call', async () => {
    const rig = makeRotationRig(simulator);
    const token = newRequestToken();
    rig.begin(token);
    const before = rig.sim.stats().tokens;
    // Canvas takes the request and never answers: only the abort can end this step before the
    // Canvas client's own deadline (5 s in the rig), which would fail it as UPSTREAM_TIMEOUT.
    rig.fault({ endpoint: 'tokens', kind: 'hang', times: 1 });
    const controller = new AbortController();
    const handler = makeRotationHandler(rig.rotation, rig.logger);
    const outcome = handler(
      { SecretId: rig.arn, ClientRequestToken: token, Step: 'createSecret' },
      undefined,
      {
        signal: controller.signal,
      },
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    await vi.waitFor(() => expect(rig.sim.stats().tokens).toBe(before + 1), { timeout: 20_000 });
    const reason = new Error('the Lambda is out of time');
    controller.abort(reason);

    const error = await outcome;
    expect(causesOf(error)).toContain(reason);
    expect(causesOf(error).map((e) => (e as { code?: unknown }).code)).not.toContain('UPSTREAM_TIMEOUT');
    expect(rig.sim.stats().tokens).toBe(before + 1);
  });
});
