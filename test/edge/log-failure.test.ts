import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeConsoleLogger } from '../../dev/local/console-logger.ts';
import { makePowertoolsTelemetry } from '../../shared/adapters/powertools/make-powertools-telemetry.ts';
import type { Broker } from '../../shared/core/broker.ts';
import {
  CredentialsRejectedError,
  PolicyDeniedError,
  TokenUnavailableError,
} from '../../shared/core/errors.ts';
import { errorBoundary } from '../../shared/edge/error-boundary.ts';
import { toPublicError } from '../../shared/edge/error-table.ts';
import { errorResponse } from '../../shared/edge/http-response.ts';
import { isExpectedFailure } from '../../shared/edge/log-failure.ts';
import { makeTokenApiHandler } from '../../shared/edge/token-api-handler.ts';
import { makeTokenInvokeHandler } from '../../shared/edge/token-invoke-handler.ts';
import { lambdaContext, restEvent } from '../support/api-gateway-event.ts';

/** What Powertools prints, as parsed JSON lines: the log exactly as CloudWatch would get it. */
let lines: string[] = [];
beforeEach(() => {
  lines = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    }) as never);
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});
// biome-ignore lint/suspicious/noExplicitAny: printed JSON is probed field by field
const printed = () => lines.map((line) => JSON.parse(line) as Record<string, any>);

const failingBroker = (error: unknown): Broker =>
  ({
    getToken: () => Promise.reject(error),
  }) as unknown as Broker;

const apiCall = async (error: unknown): Promise<number> => {
  const { logger } = makePowertoolsTelemetry({ serviceName: 'broker-test', namespace: 'BrokerTest' });
  const handle = makeTokenApiHandler({ broker: failingBroker(error), logger });
  const response = await handle(restEvent({ method: 'POST', path: '/v1/credentials/dap/token' }).event, {
    awsRequestId: 'lambda-req',
  });
  return response.statusCode;
};

const unavailable = () =>
  new TokenUnavailableError('upstream down for dap', {
    retryAfterSeconds: 12,
    cause: new Error('socket hang up'),
  });

describe('failure logging', () => {
  it.each([
    [{ status: 400 }, true],
    [{ status: 403 }, true],
    [{ status: 422 }, true],
    [{ status: 503, retryAfterSeconds: 12 }, true],
    [{ status: 500 }, false],
    [{ status: 502 }, false],
    [{ status: 503 }, false],
  ])('classes %o as expected: %s', (answer, expected) => {
    expect(isExpectedFailure(answer)).toBe(expected);
  });

  it('logs a 503 TOKEN_UNAVAILABLE once, at WARN, with its code and cause but no stack', async () => {
    expect(await apiCall(unavailable())).toBe(503);
    const entries = printed();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: 'WARN',
      message: 'request failed',
      status: 503,
      code: 'TOKEN_UNAVAILABLE',
      error: { code: 'TOKEN_UNAVAILABLE', retryAfterSeconds: 12, cause: { name: 'Error' } },
    });
    expect(lines[0]).not.toContain('stack');
    expect(lines[0]).not.toMatch(/\bat .*:\d+:\d+/);
    expect(lines[0]!.length).toBeLessThan(800);
  });

  it('logs a 4xx at WARN without the error', async () => {
    expect(await apiCall(new PolicyDeniedError('not allowed'))).toBe(403);
    expect(printed()).toEqual([
      expect.objectContaining({ level: 'WARN', message: 'request rejected', code: 'POLICY_DENIED' }),
    ]);
    expect(lines[0]).not.toContain('stack');
  });

  it('logs an unexpected failure at ERROR with its stack frames', async () => {
    expect(await apiCall(new TypeError('x is not a function'))).toBe(500);
    const [entry] = printed();
    expect(entry).toMatchObject({ level: 'ERROR', message: 'request failed', code: 'INTERNAL' });
    expect(entry!.error.stack.length).toBeGreaterThan(0);
    expect(entry!.error.stack[0]).toMatch(/^at /);
  });

  it('logs an UPSTREAM_FATAL 502 (no Retry-After: it needs an operator) at ERROR', async () => {
    expect(await apiCall(new CredentialsRejectedError('401 from upstream', { upstreamStatus: 401 }))).toBe(
      502,
    );
    expect(printed()[0]).toMatchObject({ level: 'ERROR', code: 'UPSTREAM_FATAL' });
  });

  it('does the same for direct invoke', async () => {
    const { logger } = makePowertoolsTelemetry({ serviceName: 'broker-test', namespace: 'BrokerTest' });
    await makeTokenInvokeHandler({ broker: failingBroker(unavailable()), logger })({ credentialId: 'dap' });
    expect(printed()).toEqual([
      expect.objectContaining({ level: 'WARN', message: 'invoke failed', code: 'TOKEN_UNAVAILABLE' }),
    ]);
    expect(lines[0]).not.toContain('stack');
  });

  it('makes the error boundary warn, without a stack, for an expected failure', async () => {
    const { logger } = makePowertoolsTelemetry({ serviceName: 'broker-test', namespace: 'BrokerTest' });
    const handler = middy(async () => ({ statusCode: 200, body: '{}' }))
      .before(() => {
        throw unavailable();
      })
      .use(errorBoundary(logger, (error, requestId) => errorResponse(toPublicError(error), requestId)));
    const response = await handler({}, lambdaContext() as unknown as Context);
    expect(response.statusCode).toBe(503);
    expect(printed()).toEqual([expect.objectContaining({ level: 'WARN' })]);
    expect(lines[0]).not.toContain('stack');
  });

  it('keeps stacks at ERROR only in the local console logger too', () => {
    const written: string[] = [];
    const logger = makeConsoleLogger({ write: (line) => written.push(line) });
    logger.warn('request failed', { error: unavailable() });
    logger.error('request failed', { error: new TypeError('boom') });
    expect(written[0]).toMatch(/ WARN {2}request failed /);
    expect(written[0]).not.toContain('stack');
    expect(written[1]).toMatch(/ ERROR request failed .*"stack":\["at /);
  });
});
