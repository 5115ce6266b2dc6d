import { createHash } from 'node:crypto';
import { BrokerClientError, makeBrokerClient } from '@canvas-credential-broker/client';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeSigV4Verifier } from '../../../dev/local/sigv4-verifier.ts';
import { type LocalApi, startLocalApi } from '../../../dev/local/start-local-api.ts';
import { fingerprint } from '../../../shared/core/fingerprint.ts';

const KEY = {
  accessKeyId: 'AKIACLIENTTEST000001',
  secretAccessKey: 'client-test-secret-00000000000000000000001',
};

// One clock for the client and the verifier, so tests can move time without stale signatures.
let offsetMs = 0;
const clock = { now: () => Date.now() + offsetMs };

interface Call {
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly caller: string | null;
}

const calls: Call[] = [];
let minted = 0;
let expiresIn = 3600;
let override: ((event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> | undefined) | undefined;
/** While set, token requests wait for it: lets a test hold a request in flight. */
let gate: Promise<void> | undefined;

const holdRequests = (): (() => void) => {
  let release: () => void = () => {};
  gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return release;
};

const json = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

/** A stand-in for the token-api handler: mints `tok-<n>` tokens and records what it was asked. */
const fakeTokenApi = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const body = event.body === null ? {} : (JSON.parse(event.body) as Record<string, unknown>);
  calls.push({ path: event.path, body, caller: event.requestContext.identity.userArn });
  const special = override?.(event);
  if (special !== undefined) return special;
  const id = event.pathParameters?.id ?? '';
  if (event.resource === '/v1/credentials/{id}/token/invalidate') return json(200, { invalidated: true });
  if (gate !== undefined) await gate;
  minted += 1;
  const token = `tok-${id}-${minted}`;
  return json(200, {
    token,
    tokenType: 'Bearer',
    expiresAt: new Date(clock.now() + expiresIn * 1000).toISOString(),
    expiresIn,
    credentialId: id,
    kind: 'identity-service',
    fingerprint: fingerprint(token),
  });
};

let api: LocalApi;
beforeAll(async () => {
  api = await startLocalApi({
    handler: fakeTokenApi,
    verifier: makeSigV4Verifier({ credentials: KEY, region: 'us-east-1', clock }),
    port: 0,
  });
});
afterAll(() => api.stop());
afterEach(() => {
  calls.length = 0;
  minted = 0;
  expiresIn = 3600;
  offsetMs = 0;
  override = undefined;
  gate = undefined;
  vi.unstubAllEnvs();
});

const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

const client = (extra: Partial<Parameters<typeof makeBrokerClient>[0]> = {}) =>
  makeBrokerClient({ endpoint: api.url, region: 'us-east-1', credentials: KEY, clock, ...extra });

const tokenCalls = () => calls.filter((c) => c.path.endsWith('/token'));

const caught = async (promise: Promise<unknown>): Promise<BrokerClientError> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerClientError);
    return error as BrokerClientError;
  }
  throw new Error('expected a BrokerClientError');
};

describe('makeBrokerClient', () => {
  it('gets a token with a SigV4-signed request the local verifier accepts', async () => {
    const token = await client().getToken('dap', { minTtlSeconds: 60 });
    expect(token).toMatchObject({
      token: 'tok-dap-1',
      tokenType: 'Bearer',
      credentialId: 'dap',
      expiresIn: 3600,
    });
    expect(calls).toEqual([
      {
        path: '/v1/credentials/dap/token',
        body: { minTtlSeconds: 60 },
        caller: 'arn:aws:iam::000000000000:user/local-developer',
      },
    ]);
  });

  it('sends caller parameters in the body', async () => {
    await client().getToken('canvas-jwt', { params: { canvasAudience: false } });
    expect(calls[0]?.body).toEqual({ params: { canvasAudience: false } });
  });

  it('serves a cached token without a second request, with its remaining life', async () => {
    const c = client();
    await c.getToken('dap');
    offsetMs = 1_000_000;
    const again = await c.getToken('dap');
    expect(again.token).toBe('tok-dap-1');
    expect(again.expiresIn).toBeLessThanOrEqual(2600);
    expect(again.expiresIn).toBeGreaterThan(2500);
    expect(tokenCalls()).toHaveLength(1);
  });

  it('keeps a token only until its life left no longer covers the minTtl asked', async () => {
    const c = client();
    await c.getToken('dap');
    offsetMs = 3000 * 1000;
    expect((await c.getToken('dap', { minTtlSeconds: 500 })).token).toBe('tok-dap-1');
    expect((await c.getToken('dap', { minTtlSeconds: 700 })).token).toBe('tok-dap-2');
    expect(tokenCalls()).toHaveLength(2);
  });

  it("trusts the broker's expiresIn, not this host's reading of expiresAt", async () => {
    override = (event) =>
      event.path.endsWith('/token')
        ? Promise.resolve(
            json(200, {
              token: 'tok-skewed',
              tokenType: 'Bearer',
              expiresAt: '2000-01-01T00:00:00.000Z',
              expiresIn: 3600,
              credentialId: 'dap',
              kind: 'identity-service',
              fingerprint: fingerprint('tok-skewed'),
            }),
          )
        : undefined;
    const c = client();
    await c.getToken('dap');
    expect((await c.getToken('dap', { minTtlSeconds: 600 })).token).toBe('tok-skewed');
    expect(tokenCalls()).toHaveLength(1);
  });

  it('never caches past the guaranteed life', async () => {
    const c = client();
    await c.getToken('dap');
    offsetMs = 3600 * 1000;
    expect((await c.getToken('dap')).token).toBe('tok-dap-2');
  });

  it('shares one request among concurrent callers asking the same thing', async () => {
    const release = holdRequests();
    const c = client();
    const all = Promise.all(Array.from({ length: 10 }, () => c.getToken('dap', { minTtlSeconds: 60 })));
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    release();
    const tokens = await all;
    expect(new Set(tokens.map((t) => t.token))).toEqual(new Set(['tok-dap-1']));
    expect(tokenCalls()).toHaveLength(1);
  });

  it('keys the cache by normalized parameters (key order does not matter)', async () => {
    const c = client();
    await c.getToken('canvas-jwt', { params: { contextType: 'Course', contextId: '1' } });
    await c.getToken('canvas-jwt', { params: { contextId: '1', contextType: 'Course' } });
    await c.getToken('canvas-jwt', { params: { contextId: '2', contextType: 'Course' } });
    await c.getToken('canvas-jwt');
    expect(tokenCalls()).toHaveLength(3);
  });

  it('lets one caller abort its own wait while the shared request goes on', async () => {
    const release = holdRequests();
    const c = client();
    const controller = new AbortController();
    const impatient = c.getToken('dap', { signal: controller.signal });
    const patient = c.getToken('dap');
    controller.abort();
    expect((await caught(impatient)).code).toBe('ABORTED');
    release();
    expect((await patient).token).toBe('tok-dap-1');
    expect(tokenCalls()).toHaveLength(1);
  });

  it('reports a rejected token by its SHA-256 with its parameters, and drops it from the cache', async () => {
    const c = client();
    const first = await c.getToken('canvas-jwt', { params: { canvasAudience: false } });
    const result = await c.reportRejected('canvas-jwt', first.token);
    expect(result).toEqual({ invalidated: true });
    expect(calls[1]).toMatchObject({
      path: '/v1/credentials/canvas-jwt/token/invalidate',
      body: { tokenSha256: sha256Hex(first.token), params: { canvasAudience: false } },
    });
    expect(JSON.stringify(calls[1]?.body)).not.toContain(first.token);
    const second = await c.getToken('canvas-jwt', { params: { canvasAudience: false } });
    expect(second.token).not.toBe(first.token);
  });

  it('accepts a fingerprint in place of the token while the token is cached', async () => {
    const c = client();
    const first = await c.getToken('dap');
    await c.reportRejected('dap', first.fingerprint);
    expect(calls[1]?.body).toEqual({ tokenSha256: sha256Hex(first.token) });
    expect((await c.getToken('dap')).token).toBe('tok-dap-2');
    // Not cached any more: a fingerprint alone proves nothing, so nothing is sent.
    expect((await caught(c.reportRejected('dap', first.fingerprint))).code).toBe('INVALID_ARGUMENT');
    expect(calls).toHaveLength(3);
  });

  it('holds at most maxCacheEntries tokens, dropping the least recently used', async () => {
    const c = client({ maxCacheEntries: 3 });
    for (const contextId of ['1', '2', '3']) await c.getToken('canvas-jwt', { params: { contextId } });
    // Use 1 again: 2 is now the least recently used.
    await c.getToken('canvas-jwt', { params: { contextId: '1' } });
    expect(tokenCalls()).toHaveLength(3);
    for (let i = 4; i <= 50; i++) await c.getToken('canvas-jwt', { params: { contextId: String(i) } });
    expect(tokenCalls()).toHaveLength(50);
    // Only the last three stay: 48, 49, 50 are hits, 1 and 2 are fetched again.
    for (const contextId of ['48', '49', '50']) await c.getToken('canvas-jwt', { params: { contextId } });
    expect(tokenCalls()).toHaveLength(50);
    await c.getToken('canvas-jwt', { params: { contextId: '1' } });
    expect(tokenCalls()).toHaveLength(51);
  });

  it('keeps the most recently used entry when the bound is reached', async () => {
    const c = client({ maxCacheEntries: 2 });
    await c.getToken('dap');
    await c.getToken('canvas-jwt');
    await c.getToken('dap');
    await c.getToken('inst');
    await c.getToken('dap');
    expect(tokenCalls()).toHaveLength(3);
    expect(() => client({ maxCacheEntries: 0 })).toThrow(/maxCacheEntries/);
  });

  it("turns the broker's error body into a typed error with status, code and Retry-After", async () => {
    override = () =>
      Promise.resolve(
        json(
          503,
          {
            error: {
              code: 'TOKEN_UNAVAILABLE',
              message: 'No valid token is available right now.',
              requestId: 'r-1',
            },
          },
          { 'Retry-After': '7' },
        ),
      );
    const error = await caught(client().getToken('dap'));
    expect(error).toMatchObject({
      code: 'TOKEN_UNAVAILABLE',
      status: 503,
      retryAfterSeconds: 7,
      requestId: 'r-1',
      message: 'No valid token is available right now.',
      retryable: true,
    });
  });

  it('does not retry or cache a failure', async () => {
    override = () =>
      Promise.resolve(json(403, { error: { code: 'POLICY_DENIED', message: 'no', requestId: 'r' } }));
    const c = client();
    expect((await caught(c.getToken('dap'))).code).toBe('POLICY_DENIED');
    expect(tokenCalls()).toHaveLength(1);
    override = undefined;
    expect((await c.getToken('dap')).token).toBe('tok-dap-1');
  });

  it("reports the gateway's own refusal (a bad key) as GATEWAY_REJECTED", async () => {
    const wrong = {
      accessKeyId: KEY.accessKeyId,
      secretAccessKey: 'not-the-secret-00000000000000000000000000',
    };
    const error = await caught(client({ credentials: wrong }).getToken('dap'));
    expect(error).toMatchObject({ code: 'GATEWAY_REJECTED', status: 403, retryable: false });
    expect(error.message).toMatch(/^The request signature we calculated does not match/);
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers INVALID_RESPONSE for a 200 that is not a token body', async () => {
    override = () => Promise.resolve({ statusCode: 200, body: '<html>' });
    expect(await caught(client().getToken('dap'))).toMatchObject({ code: 'INVALID_RESPONSE', status: 200 });
  });

  it('gives up at its deadline with TIMEOUT', async () => {
    override = () => new Promise(() => {});
    const error = await caught(client({ timeoutMs: 100 }).getToken('dap'));
    expect(error).toMatchObject({ code: 'TIMEOUT', status: 0, retryable: true });
  });

  it('reports an unreachable endpoint as NETWORK_ERROR', async () => {
    const closed = await startLocalApi({
      handler: fakeTokenApi,
      verifier: makeSigV4Verifier({ credentials: KEY, region: 'us-east-1', clock }),
    });
    await closed.stop();
    const error = await caught(client({ endpoint: closed.url }).getToken('dap'));
    expect(error).toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
  });

  it('reports missing credentials as CREDENTIALS_UNAVAILABLE', async () => {
    const error = await caught(
      client({
        credentials: async () => {
          throw new Error('Could not load credentials from any providers');
        },
      }).getToken('dap'),
    );
    expect(error.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(calls).toHaveLength(0);
  });

  it('signs with the default AWS credential chain when given no credentials', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', KEY.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', KEY.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_PROFILE', '');
    const token = await makeBrokerClient({ endpoint: api.url, region: 'us-east-1', clock }).getToken('dap');
    expect(token.token).toBe('tok-dap-1');
  });

  it('refuses malformed calls before sending anything', async () => {
    const c = client();
    expect((await caught(c.getToken('Not An Id'))).code).toBe('INVALID_ARGUMENT');
    expect((await caught(c.getToken('dap', { minTtlSeconds: -1 }))).code).toBe('INVALID_ARGUMENT');
    expect((await caught(c.getToken('dap', { minTtlSeconds: 1.5 }))).code).toBe('INVALID_ARGUMENT');
    expect((await caught(c.reportRejected('dap', ''))).code).toBe('INVALID_ARGUMENT');
    expect(calls).toHaveLength(0);
  });

  it('refuses plain http to anything but loopback, and infers the region of an execute-api host', () => {
    expect(() =>
      makeBrokerClient({ endpoint: 'http://broker.example.com', region: 'us-east-1', credentials: KEY }),
    ).toThrow(BrokerClientError);
    expect(() => makeBrokerClient({ endpoint: 'https://broker.example.com', credentials: KEY })).toThrow(
      /region/,
    );
    expect(() =>
      makeBrokerClient({
        endpoint: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
        credentials: KEY,
      }),
    ).not.toThrow();
  });
});
