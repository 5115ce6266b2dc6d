import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeInstAccessClient } from '../../../shared/adapters/http/inst-access-client.ts';
import { captureError, expectNoSecrets } from './support/capture-error.ts';
import { base64Wrap, rsaJwe, signedJwt } from './support/jose-fixtures.ts';
import { makeSteppingClock } from './support/stepping-clock.ts';
import { reply, type StubServer, startStubServer } from './support/stub-server.ts';

const T0 = Date.parse('2031-01-01T00:00:00Z');
const ACCESS_TOKEN = '1~instAccessCanaryToken0123456789abcdefghijklmnop';

let server: StubServer;
beforeAll(async () => {
  server = await startStubServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const client = (stepMs = 1_000) =>
  makeInstAccessClient({
    baseUrl: server.url,
    clock: makeSteppingClock(T0, stepMs),
    timeoutMs: 5_000,
    userAgent: 'canvas-credential-broker/test',
  });

describe('InstAccess token create', () => {
  it('reads the raw JWE from a 201: one hour from the send time, unreadable', async () => {
    const token = await rsaJwe();
    server.handle(reply(201, { token }));
    expect(await client(3_000).create({ accessToken: ACCESS_TOKEN })).toEqual({
      token,
      issuedAt: T0,
      expiresAt: T0 + 3_600_000,
      readableExpiry: false,
    });
    const request = server.requests[0];
    expect(request).toMatchObject({ method: 'POST', url: '/api/v1/inst_access_tokens', body: '' });
    expect(request?.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(request?.headers['user-agent']).toBe('canvas-credential-broker/test');
  });

  it('accepts a 200 too', async () => {
    server.handle(reply(200, { token: await rsaJwe() }));
    expect((await client().create({ accessToken: ACCESS_TOKEN })).expiresAt).toBe(T0 + 3_600_000);
  });

  it('anchors on the Canvas Date header minus the round trip', async () => {
    const canvasNow = T0 + 42_000;
    server.handle(reply(201, { token: await rsaJwe() }, { date: new Date(canvasNow).toUTCString() }));
    const issued = await client(2_000).create({ accessToken: ACCESS_TOKEN });
    expect(issued.issuedAt).toBe(canvasNow - 2_000);
  });

  it('reports a token that is not a raw compact JWE as malformed', async () => {
    const jwe = await rsaJwe();
    for (const token of [base64Wrap(jwe), await signedJwt({ exp: T0 / 1000 + 3_600 }), 'opaque']) {
      server.handle(reply(201, { token }));
      const error = await captureError(client().create({ accessToken: ACCESS_TOKEN }));
      expect(error.code).toBe('UPSTREAM_MALFORMED');
      expectNoSecrets(error, [token, ACCESS_TOKEN]);
    }
  });

  const cases: [string, number, unknown, Record<string, string>, string, number?][] = [
    [
      '401 invalid token',
      401,
      { errors: [{ message: 'Invalid access token.' }] },
      { 'WWW-Authenticate': 'Bearer realm="canvas-lms"' },
      'UPSTREAM_CREDENTIALS_REJECTED',
    ],
    [
      '403 authorized by a JWT',
      403,
      { error: 'cannot generate a JWT when authorized by a JWT' },
      {},
      'UPSTREAM_FATAL',
    ],
    [
      '403 rate limit after rapid mints',
      403,
      '403 Forbidden (Rate Limit Exceeded)\n',
      { 'X-Rate-Limit-Remaining': '0.0' },
      'UPSTREAM_RETRYABLE',
      5,
    ],
    [
      '500 InstAccess unconfigured',
      500,
      { errors: [{ message: 'An error occurred.', error_code: 'internal_server_error' }] },
      {},
      'UPSTREAM_RETRYABLE',
    ],
  ];

  it.each(cases)('classifies %s', async (_name, status, body, headers, code, retryAfter) => {
    server.handle(reply(status, body, headers));
    const error = await captureError(client().create({ accessToken: ACCESS_TOKEN }));
    expect(error).toMatchObject({ code, upstreamStatus: status });
    expect(error.retryAfterSeconds).toBe(retryAfter);
    expectNoSecrets(error, [ACCESS_TOKEN]);
  });
});
