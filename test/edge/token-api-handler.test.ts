import { createHash } from 'node:crypto';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker, ServedToken } from '../../shared/core/broker.ts';
import type { Caller } from '../../shared/core/credential.ts';
import {
  CredentialsRejectedError,
  InternalError,
  SecretAccessDeniedError,
  StoreUnavailableError,
  TokenUnavailableError,
} from '../../shared/core/errors.ts';
import { fingerprint } from '../../shared/core/fingerprint.ts';

const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

import { makeTokenApiHandler } from '../../shared/edge/token-api-handler.ts';
import {
  ASSUMED_ROLE,
  type CallerIdentity,
  CROSS_ACCOUNT,
  IAM_USER,
  jsonBody,
  type RestEventOptions,
  restEvent,
} from '../support/api-gateway-event.ts';
import { findCanaryLeaks, makeCanary, makeCapturingLogger } from '../support/canary.ts';
import { makeEdgeBroker } from '../support/edge-broker.ts';

const ADMIN: CallerIdentity = {
  userArn: 'arn:aws:sts::111122223333:assumed-role/platform-admin/alice',
  accountId: '111122223333',
  caller: 'AROAEXAMPLEADMIN:alice',
  accessKey: 'ASIAEXAMPLEADMIN0001',
};

// biome-ignore lint/suspicious/noExplicitAny: response JSON is probed field by field
const bodyOf = (response: APIGatewayProxyResult) => JSON.parse(response.body) as Record<string, any>;

const expectJsonHeaders = (response: APIGatewayProxyResult) => {
  expect(response.headers).toMatchObject({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
};

const expectError = (response: APIGatewayProxyResult, status: number, code: string, requestId?: string) => {
  expect(response.statusCode).toBe(status);
  expectJsonHeaders(response);
  const body = bodyOf(response);
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'requestId']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  if (requestId !== undefined) expect(body.error.requestId).toBe(requestId);
};

describe('the token API over a fake broker', () => {
  const calls: { method: string; caller: Caller; args: unknown }[] = [];
  let failWith: unknown;
  const served: ServedToken = {
    token: 'fake-token-value',
    tokenType: 'Bearer',
    expiresAt: Date.UTC(2026, 0, 1, 13),
    expiresIn: 3540,
    credentialId: 'dap',
    kind: 'identity-service',
    fingerprint: '0123456789abcdef',
    tier: 'memory',
  };
  const record = <T>(method: string, caller: Caller, args: unknown, result: T): Promise<T> => {
    calls.push({ method, caller, args });
    return failWith === undefined ? Promise.resolve(result) : Promise.reject(failWith);
  };
  const broker: Broker = {
    getToken: (caller, request) => record('getToken', caller, request, served),
    listCredentials: (caller) => record('listCredentials', caller, undefined, []),
    describeCredential: (caller, id) =>
      record('describeCredential', caller, id, {
        id,
        kind: 'identity-service' as const,
        callerParams: [],
        variants: [],
        variantCount: 0,
        baseUrl: 'https://x',
        health: { state: 'healthy' as const },
        recentMints: [],
      }),
    invalidate: (caller, request) => record('invalidate', caller, request, { invalidated: true }),
    forceRefresh: (caller, id) => record('forceRefresh', caller, id, { refreshed: 1 }),
    purge: (caller, id) => record('purge', caller, id, { purged: 2 }),
    prewarm: () => Promise.reject(new Error('not used')),
  };
  const logger = makeCapturingLogger();
  const handle = makeTokenApiHandler({ broker, logger });
  const send = (options: RestEventOptions) =>
    handle(restEvent(options).event, { awsRequestId: 'lambda-req' });

  afterEach(() => {
    calls.length = 0;
    failWith = undefined;
  });

  it('serves a token with the documented body and no-store', async () => {
    const response = await send({
      method: 'POST',
      path: '/v1/credentials/dap/token',
      ...jsonBody({ minTtlSeconds: 300, params: {} }),
    });
    expect(response.statusCode).toBe(200);
    expectJsonHeaders(response);
    expect(bodyOf(response)).toEqual({
      token: 'fake-token-value',
      tokenType: 'Bearer',
      expiresAt: '2026-01-01T13:00:00.000Z',
      expiresIn: 3540,
      credentialId: 'dap',
      kind: 'identity-service',
      fingerprint: '0123456789abcdef',
    });
    expect(calls[0]).toMatchObject({
      method: 'getToken',
      caller: { arn: 'arn:aws:iam::111122223333:role/reporting', accountId: '111122223333' },
      args: { credentialId: 'dap', minTtlSeconds: 300, params: {} },
    });
  });

  it('passes the API Gateway request id to the broker', async () => {
    await send({ method: 'POST', path: '/v1/credentials/dap/token', requestId: 'apigw-req-1' });
    expect(calls[0]!.args).toMatchObject({ requestId: 'apigw-req-1' });
  });

  it.each([
    ['GET', '/v1/credentials', undefined, 'listCredentials', undefined, { credentials: [] }],
    ['GET', '/v1/credentials/dap', undefined, 'describeCredential', 'dap', undefined],
    ['POST', '/v1/credentials/dap/refresh', undefined, 'forceRefresh', 'dap', { refreshed: 1 }],
    ['DELETE', '/v1/credentials/dap/token', undefined, 'purge', 'dap', { purged: 2 }],
    [
      'POST',
      '/v1/credentials/dap/token/invalidate',
      { tokenSha256: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
      'invalidate',
      {
        credentialId: 'dap',
        tokenSha256: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      },
      { invalidated: true },
    ],
  ])('routes %s %s to %s', async (method, path, body, brokerMethod, args, expected) => {
    const response = await send({ method, path, ...(body === undefined ? {} : jsonBody(body)) });
    expect(response.statusCode).toBe(200);
    expectJsonHeaders(response);
    expect(calls.map((c) => c.method)).toEqual([brokerMethod]);
    if (typeof args === 'string') expect(calls[0]!.args).toBe(args);
    else if (args !== undefined) expect(calls[0]!.args).toMatchObject(args);
    if (expected !== undefined) expect(bodyOf(response)).toEqual(expected);
  });

  it('answers an unknown route with 404 and a wrong method with 405 and Allow', async () => {
    expectError(await send({ method: 'GET', path: '/v1/nothing' }), 404, 'ROUTE_NOT_FOUND');
    const response = await send({ method: 'PATCH', path: '/v1/credentials/dap/token' });
    expectError(response, 405, 'METHOD_NOT_ALLOWED');
    expect(response.headers?.Allow).toBe('POST, DELETE');
    expect(calls).toEqual([]);
  });

  it('refuses with 403, before touching the broker, an event from another API id or stage', async () => {
    const bound = makeTokenApiHandler({ broker, logger, api: { apiId: 'abcdef1234', stage: 'prod' } });
    const forged = (patch: Record<string, unknown>) => {
      const { event } = restEvent({ method: 'POST', path: '/v1/credentials/dap/token', identity: ADMIN });
      return bound({ ...event, requestContext: { ...event.requestContext, ...patch } } as typeof event);
    };
    for (const patch of [
      { apiId: 'zzzzzzzzzz' },
      { stage: 'test' },
      { apiId: undefined, stage: undefined },
      { apiId: { toString: () => 'abcdef1234' } },
    ]) {
      const response = await forged(patch);
      expectError(response, 403, 'POLICY_DENIED');
      expect(bodyOf(response).error.message).toBe(
        'This function answers only requests through its own API stage.',
      );
    }
    const noContext = await bound({ httpMethod: 'POST', path: '/v1/credentials/dap/token' } as never);
    expectError(noContext, 403, 'POLICY_DENIED');
    expect(calls).toEqual([]);
    // The real API's events still go through.
    expect((await forged({})).statusCode).toBe(200);
  });

  it('denies a request without an IAM identity before touching the broker', async () => {
    expectError(
      await send({ method: 'POST', path: '/v1/credentials/dap/token', identity: null }),
      403,
      'POLICY_DENIED',
    );
    expect(calls).toEqual([]);
  });

  it.each([
    ['an invalid credential id', { path: '/v1/credentials/Bad_Id/token' }],
    ['an unknown field', { ...jsonBody({ minTTLSeconds: 5 }) }],
    ['a fractional minTtlSeconds', { ...jsonBody({ minTtlSeconds: 1.5 }) }],
    ['a negative minTtlSeconds', { ...jsonBody({ minTtlSeconds: -1 }) }],
    ['a minTtlSeconds over a day', { ...jsonBody({ minTtlSeconds: 86_401 }) }],
    ['a string minTtlSeconds', { ...jsonBody({ minTtlSeconds: '60' }) }],
    ['params as an array', { ...jsonBody({ params: [] }) }],
    ['params as null', { ...jsonBody({ params: null }) }],
    ['a JSON array body', { body: '[1]', headers: { 'Content-Type': 'application/json' } }],
  ])('answers 400 for %s', async (_name, options) => {
    const response = await send({ method: 'POST', path: '/v1/credentials/dap/token', ...options });
    expectError(response, 400, 'BAD_REQUEST');
    expect(calls).toEqual([]);
  });

  it('answers 400 for a bad token hash and for a body on a bodyless route', async () => {
    const bad = await send({
      method: 'POST',
      path: '/v1/credentials/dap/token/invalidate',
      ...jsonBody({ tokenSha256: 'XYZ' }),
    });
    expectError(bad, 400, 'BAD_REQUEST');
    const body = await send({
      method: 'DELETE',
      path: '/v1/credentials/dap/token',
      ...jsonBody({ all: true }),
    });
    expectError(body, 400, 'BAD_REQUEST');
    expect(calls).toEqual([]);
  });

  it('accepts an empty JSON object on a bodyless route', async () => {
    const response = await send({ method: 'POST', path: '/v1/credentials/dap/refresh', ...jsonBody({}) });
    expect(response.statusCode).toBe(200);
  });

  it('answers 413 and 415 before the broker is asked', async () => {
    const big = await send({
      method: 'POST',
      path: '/v1/credentials/dap/token',
      ...jsonBody({ params: { pad: 'x'.repeat(9_000) } }),
    });
    expectError(big, 413, 'PAYLOAD_TOO_LARGE');
    const text = await send({
      method: 'POST',
      path: '/v1/credentials/dap/token',
      body: 'minTtlSeconds=5',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(calls).toEqual([]);
  });

  it('answers TOKEN_UNAVAILABLE with 503 and Retry-After', async () => {
    failWith = new TokenUnavailableError('upstream down', { retryAfterSeconds: 12 });
    const response = await send({ method: 'POST', path: '/v1/credentials/dap/token', requestId: 'r-503' });
    expectError(response, 503, 'TOKEN_UNAVAILABLE', 'r-503');
    expect(response.headers?.['Retry-After']).toBe('12');
  });

  it.each([
    [
      'a store outage',
      new StoreUnavailableError('GetItem on table broker-tokens failed'),
      503,
      'TOKEN_UNAVAILABLE',
    ],
    [
      'rejected credentials',
      new CredentialsRejectedError('canvas said 401 for secret canvas-secret'),
      502,
      'UPSTREAM_FATAL',
    ],
    [
      'a secret access error',
      new SecretAccessDeniedError('AccessDenied on arn:aws:secretsmanager:...'),
      500,
      'INTERNAL',
    ],
    ['a broker bug', new InternalError('invariant broken in engine'), 500, 'INTERNAL'],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'token')"), 500, 'INTERNAL'],
    ['a thrown string', 'just a string', 500, 'INTERNAL'],
  ])('answers %s with a generic %s body', async (_name, error, status, code) => {
    failWith = error;
    const response = await send({ method: 'POST', path: '/v1/credentials/dap/token' });
    expectError(response, status, code);
    const { message } = bodyOf(response).error;
    for (const internal of ['table', 'secret', 'arn:', 'engine', 'undefined', 'string']) {
      expect(message).not.toContain(internal);
    }
  });

  it('takes the request id from the Lambda context when the event has none', async () => {
    const { event } = restEvent({ method: 'GET', path: '/v1/nope' });
    (event.requestContext as { requestId?: unknown }).requestId = undefined;
    expectError(await handle(event, { awsRequestId: 'lambda-req' }), 404, 'ROUTE_NOT_FOUND', 'lambda-req');
  });

  it('never throws, even for events that are not events', async () => {
    for (const event of [null, undefined, 42, 'GET /', [], { httpMethod: {}, path: [] }]) {
      const response = await handle(event as never);
      expect(response.statusCode).toBe(404);
      expect(bodyOf(response).error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('the token API over the real broker core', () => {
  const setup = () => {
    const edge = makeEdgeBroker();
    const handle = makeTokenApiHandler(edge);
    const canaries = [...edge.secrets];
    const send = async (options: RestEventOptions) => {
      const { event, canaries: eventCanaries } = restEvent(options);
      canaries.push(...eventCanaries);
      const response = await handle(event, { awsRequestId: 'lambda-req' });
      return response;
    };
    /** Tokens may appear in token bodies only; nothing else may carry a token, a secret or a signature. */
    const leaks = (responses: APIGatewayProxyResult[]) =>
      findCanaryLeaks(
        [
          ...edge.logger.lines(),
          ...edge.metrics.payloads(),
          ...responses.filter((r) => r.statusCode !== 200 || !('token' in bodyOf(r))).map((r) => r.body),
        ],
        [...canaries, ...edge.upstream.issued],
      );
    return { ...edge, send, leaks, canaries };
  };

  it('mints once, then serves the same token from memory, with an audit line per serve', async () => {
    const { send, upstream, logger, leaks } = setup();
    const request = {
      method: 'POST',
      path: '/v1/credentials/dap/token',
      ...jsonBody({ minTtlSeconds: 600 }),
    };
    const first = await send(request);
    const second = await send(request);
    expect(first.statusCode).toBe(200);
    expect(bodyOf(second).token).toBe(bodyOf(first).token);
    expect(bodyOf(first).token).toBe(upstream.issued[0]);
    expect(bodyOf(first).fingerprint).toBe(fingerprint(upstream.issued[0]!));
    expect(upstream.calls.mint).toBe(1);
    expect(bodyOf(first)).toMatchObject({
      credentialId: 'dap',
      kind: 'identity-service',
      tokenType: 'Bearer',
    });
    expect(new Date(bodyOf(first).expiresAt).toISOString()).toBe(bodyOf(first).expiresAt);
    const audits = logger.entries.filter((e) => e.fields?.audit === true);
    expect(audits).toHaveLength(2);
    expect(audits[0]!.fields).toMatchObject({
      caller: 'arn:aws:iam::111122223333:role/reporting',
      credentialId: 'dap',
    });
    expect(leaks([first, second])).toEqual([]);
  });

  it('authorizes an IAM user, a role session and a cross-account role by the configured policy', async () => {
    const { send } = setup();
    const token = (identity: CallerIdentity, id: string) =>
      send({ method: 'POST', path: `/v1/credentials/${id}/token`, identity });
    expect((await token(IAM_USER, 'dap')).statusCode).toBe(200);
    expect((await token(ASSUMED_ROLE, 'dap')).statusCode).toBe(200);
    expect((await token(CROSS_ACCOUNT, 'inst')).statusCode).toBe(200);
    expectError(await token(IAM_USER, 'inst'), 403, 'POLICY_DENIED');
    expectError(await token(CROSS_ACCOUNT, 'dap'), 403, 'POLICY_DENIED');
  });

  it('gives an unknown credential the same answer as a forbidden one', async () => {
    const { send, upstream } = setup();
    const unknown = await send({ method: 'POST', path: '/v1/credentials/nope/token', identity: IAM_USER });
    const forbidden = await send({
      method: 'POST',
      path: '/v1/credentials/canvas-ui/token',
      identity: IAM_USER,
    });
    expectError(unknown, 403, 'POLICY_DENIED');
    expect(bodyOf(unknown).error.message).toBe(bodyOf(forbidden).error.message);
    expect(upstream.calls.mint).toBe(0);
  });

  it('validates caller parameters in the core: allowed values pass, others are denied', async () => {
    const { send } = setup();
    const ask = (params: unknown) =>
      send({ method: 'POST', path: '/v1/credentials/canvas-ui/token', ...jsonBody({ params }) });
    expect((await ask({ contextType: 'course', contextId: '42' })).statusCode).toBe(200);
    expectError(await ask({ contextType: 'Account', contextId: '1' }), 403, 'POLICY_DENIED');
    expectError(await ask({ workflows: ['other'] }), 403, 'POLICY_DENIED');
    expectError(await ask({ colour: 'red' }), 400, 'BAD_REQUEST');
  });

  it('answers an impossible minTtlSeconds with 422', async () => {
    const { send } = setup();
    const response = await send({
      method: 'POST',
      path: '/v1/credentials/dap/token',
      ...jsonBody({ minTtlSeconds: 7200 }),
    });
    expectError(response, 422, 'MIN_TTL_UNSATISFIABLE');
  });

  it('answers a failing upstream with a fast 503 and Retry-After, and leaks nothing', async () => {
    const { send, upstream, leaks } = setup();
    const { UpstreamRetryableError } = await import('../../shared/core/errors.ts');
    upstream.failNext(
      new UpstreamRetryableError('429 from upstream', { retryAfterSeconds: 30, upstreamStatus: 429 }),
    );
    const response = await send({ method: 'POST', path: '/v1/credentials/dap/token' });
    expectError(response, 503, 'TOKEN_UNAVAILABLE');
    expect(Number(response.headers?.['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(leaks([response])).toEqual([]);
  });

  it('lists what a caller may use, with cache state and no token or fingerprint', async () => {
    const { send, upstream } = setup();
    await send({ method: 'POST', path: '/v1/credentials/dap/token' });
    const response = await send({ method: 'GET', path: '/v1/credentials' });
    expect(response.statusCode).toBe(200);
    const { credentials } = bodyOf(response);
    expect(credentials.map((c: { id: string }) => c.id)).toEqual(['dap', 'canvas-ui']);
    expect(credentials[0].variants[0]).toMatchObject({ state: 'fresh' });
    expect(credentials[0].variants[0].expiresAt).toMatch(/^2026-01-01T/);
    expect(response.body).not.toContain(upstream.issued[0]);
    expect(response.body).not.toContain(fingerprint(upstream.issued[0]!));
    const admin = await send({ method: 'GET', path: '/v1/credentials', identity: ADMIN });
    expect(bodyOf(admin).credentials[0].variants[0].fingerprint).toBe(fingerprint(upstream.issued[0]!));
  });

  it('invalidates only for proof of possession, never for the listed fingerprint', async () => {
    const { send, upstream } = setup();
    const first = bodyOf(await send({ method: 'POST', path: '/v1/credentials/dap/token' }));
    const report = (body: Record<string, unknown>) =>
      send({ method: 'POST', path: '/v1/credentials/dap/token/invalidate', ...jsonBody(body) });
    const byFingerprint = await report({ fingerprint: first.fingerprint });
    expectError(byFingerprint, 400, 'BAD_REQUEST');
    expect(bodyOf(byFingerprint).error.message).toBe(
      'Invalidation needs proof of possession: send tokenSha256, the SHA-256 (64 lower-case hex) of the rejected token; a fingerprint is not accepted.',
    );
    expectError(
      await report({ tokenSha256: sha256Hex(first.token), fingerprint: first.fingerprint }),
      400,
      'BAD_REQUEST',
    );
    expect(bodyOf(await report({ tokenSha256: 'f'.repeat(64) }))).toEqual({ invalidated: false });
    expect(bodyOf(await report({ tokenSha256: sha256Hex(first.token) }))).toEqual({ invalidated: true });
    const next = bodyOf(await send({ method: 'POST', path: '/v1/credentials/dap/token' }));
    expect(next.token).not.toBe(first.token);
    expect(upstream.calls.mint).toBe(2);
  });

  it('keeps the admin routes for admins', async () => {
    const { send, upstream } = setup();
    await send({ method: 'POST', path: '/v1/credentials/dap/token' });
    expectError(await send({ method: 'GET', path: '/v1/credentials/dap' }), 403, 'POLICY_DENIED');
    expectError(await send({ method: 'DELETE', path: '/v1/credentials/dap/token' }), 403, 'POLICY_DENIED');
    expectError(await send({ method: 'POST', path: '/v1/credentials/dap/refresh' }), 403, 'POLICY_DENIED');
    const detail = await send({ method: 'GET', path: '/v1/credentials/dap', identity: ADMIN });
    expect(detail.statusCode).toBe(200);
    expect(bodyOf(detail)).toMatchObject({ id: 'dap', baseUrl: 'https://api-gateway.instructure.com' });
    expect(bodyOf(detail).recentMints[0]).toMatchObject({
      via: 'mint',
      fingerprint: fingerprint(upstream.issued[0]!),
    });
    expect(detail.body).not.toContain(upstream.issued[0]);
    expect(
      bodyOf(await send({ method: 'POST', path: '/v1/credentials/dap/refresh', identity: ADMIN })),
    ).toEqual({
      refreshed: 1,
    });
    expect(
      bodyOf(await send({ method: 'DELETE', path: '/v1/credentials/dap/token', identity: ADMIN })),
    ).toEqual({
      purged: 1,
    });
  });

  it('never logs the Authorization header, the session token or any secret', async () => {
    const { send, leaks, logger, canaries } = setup();
    const garbage = makeCanary();
    canaries.push(garbage);
    const responses = [
      await send({ method: 'POST', path: '/v1/credentials/dap/token' }),
      await send({ method: 'POST', path: '/v1/credentials/nope/token' }),
      await send({ method: 'PUT', path: '/v1/credentials/dap/token' }),
      await send({
        method: 'POST',
        path: '/v1/credentials/dap/token',
        body: garbage,
        headers: { 'Content-Type': 'application/json' },
      }),
    ];
    expect(logger.entries.length).toBeGreaterThan(0);
    expect(leaks(responses)).toEqual([]);
  });
});
