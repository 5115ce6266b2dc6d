import { describe, expect, it } from 'vitest';
import type { Broker } from '../../shared/core/broker.ts';
import { StoreUnavailableError, UpstreamRetryableError } from '../../shared/core/errors.ts';
import { fingerprint } from '../../shared/core/fingerprint.ts';
import { makeTokenInvokeHandler, type TokenInvokeResult } from '../../shared/edge/token-invoke-handler.ts';
import { findCanaryLeaks, makeCapturingLogger } from '../support/canary.ts';
import { makeEdgeBroker } from '../support/edge-broker.ts';

const setup = () => {
  const edge = makeEdgeBroker();
  const handle = makeTokenInvokeHandler(edge);
  const invoke = (event: unknown) => handle(event, { awsRequestId: 'invoke-req-1' });
  const leaks = () =>
    findCanaryLeaks(
      [...edge.logger.lines(), ...edge.metrics.payloads()],
      [...edge.secrets, ...edge.upstream.issued],
    );
  return { ...edge, invoke, leaks };
};

const errorOf = (result: TokenInvokeResult) => {
  if (!('error' in result)) throw new Error('expected an error result');
  return result.error;
};

describe('the token-invoke handler', () => {
  it('returns the same body as the API for a direct invocation', async () => {
    const { invoke, upstream, leaks } = setup();
    const result = await invoke({ credentialId: 'dap', minTtlSeconds: 60 });
    expect(result).toEqual({
      token: upstream.issued[0],
      tokenType: 'Bearer',
      expiresAt: '2026-01-01T01:00:00.000Z',
      expiresIn: 3598, // one hour minus the 1.5 s clock margin (no estimator: assumed)
      credentialId: 'dap',
      kind: 'identity-service',
      fingerprint: fingerprint(upstream.issued[0]!),
    });
    expect(leaks()).toEqual([]);
  });

  it('runs as the lambda-invoke principal, which the policy grants dap only', async () => {
    const { invoke, logger } = setup();
    await invoke({ credentialId: 'dap' });
    expect(logger.entries.find((e) => e.fields?.audit)?.fields).toMatchObject({ caller: 'lambda-invoke' });
    expect(errorOf(await invoke({ credentialId: 'inst' }))).toEqual({
      code: 'POLICY_DENIED',
      message: expect.any(String),
      requestId: 'invoke-req-1',
    });
  });

  it.each([
    ['null', null],
    ['a string payload', 'dap'],
    ['an array', [{ credentialId: 'dap' }]],
    ['no credential id', {}],
    ['a bad credential id', { credentialId: 'DAP' }],
    ['an unknown field', { credentialId: 'dap', minTTL: 5 }],
    ['a bad minTtlSeconds', { credentialId: 'dap', minTtlSeconds: -5 }],
    ['params that are not an object', { credentialId: 'dap', params: 'x' }],
  ])('rejects %s with a typed BAD_REQUEST', async (_name, event) => {
    const { invoke, upstream } = setup();
    expect(errorOf(await invoke(event))).toMatchObject({ code: 'BAD_REQUEST', requestId: 'invoke-req-1' });
    expect(upstream.calls.mint).toBe(0);
  });

  it('rejects oversized params with PAYLOAD_TOO_LARGE', async () => {
    const { invoke } = setup();
    const result = await invoke({ credentialId: 'canvas-ui', params: { contextId: 'x'.repeat(10_000) } });
    expect(errorOf(result).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('tells the invoker how long to wait when no token is available', async () => {
    const { invoke, upstream, leaks } = setup();
    upstream.failNext(new UpstreamRetryableError('503 from upstream', { retryAfterSeconds: 20 }));
    const error = errorOf(await invoke({ credentialId: 'dap' }));
    expect(error.code).toBe('TOKEN_UNAVAILABLE');
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(leaks()).toEqual([]);
  });

  it('never throws, and hides internals of 5xx failures', async () => {
    const logger = makeCapturingLogger();
    const broker = {
      getToken: async () => {
        throw new StoreUnavailableError('GetItem on broker-tokens timed out');
      },
    } as unknown as Broker;
    const error = errorOf(await makeTokenInvokeHandler({ broker, logger })({ credentialId: 'dap' }));
    expect(error.code).toBe('TOKEN_UNAVAILABLE');
    expect(error.message).not.toContain('broker-tokens');
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(logger.entries.at(-1)).toMatchObject({ level: 'warn', fields: { code: 'TOKEN_UNAVAILABLE' } });
  });
});
