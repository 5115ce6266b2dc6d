import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeIdentityServiceClient } from '../../../shared/adapters/http/identity-service-client.ts';
import { captureError, expectNoSecrets } from './support/capture-error.ts';
import { directJwe, signedJwt } from './support/jose-fixtures.ts';
import { makeSteppingClock } from './support/stepping-clock.ts';
import { reply, type StubServer, startStubServer } from './support/stub-server.ts';

const T0 = Date.parse('2031-01-01T00:00:00Z');
const CLIENT_ID = 'us-east-1#client-canary-id';
const CLIENT_SECRET = 'client-secret-canary-0123456789abcdef';
const credentials = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
const BASIC = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');

let server: StubServer;
beforeAll(async () => {
  server = await startStubServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const client = (stepMs = 2_000) =>
  makeIdentityServiceClient({
    baseUrl: server.url,
    clock: makeSteppingClock(T0, stepMs),
    timeoutMs: 5_000,
    userAgent: 'canvas-credential-broker/test',
  });

const loginBody = async (expSeconds: number, expiresIn: unknown = 3599) => ({
  access_token: await signedJwt({ exp: expSeconds, sub: 'principal' }),
  expires_in: expiresIn,
  scope: 'dap principal:p partner:x region:us-east-1',
  token_type: 'bearer',
});

describe('Identity Service login', () => {
  it('posts client credentials with Basic auth and reads the token and its lifetime', async () => {
    const body = await loginBody(T0 / 1000 + 7_200);
    server.handle(reply(200, body));
    const issued = await client().login(credentials);

    expect(issued).toEqual({
      token: body.access_token,
      issuedAt: T0,
      expiresAt: T0 + 3_599_000,
      readableExpiry: true,
    });
    const request = server.requests[0];
    expect(request).toMatchObject({
      method: 'POST',
      url: '/ids/auth/login',
      body: 'grant_type=client_credentials',
    });
    expect(request?.headers.authorization).toBe(`Basic ${BASIC}`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers['user-agent']).toBe('canvas-credential-broker/test');
    expect(request?.headers['x-instauth']).toBeUndefined();
  });

  it('trusts the JWT exp when it ends before expires_in', async () => {
    server.handle(reply(200, await loginBody(T0 / 1000 + 600)));
    expect((await client().login(credentials)).expiresAt).toBe(T0 + 600_000);
  });

  it('anchors the lifetime on the upstream Date minus the round trip', async () => {
    const upstreamNow = T0 - 300_000; // the local clock runs 5 minutes fast
    server.handle(
      reply(200, await loginBody(T0 / 1000 + 7_200), { Date: new Date(upstreamNow).toUTCString() }),
    );
    const issued = await client(3_000).login(credentials);
    expect(issued.issuedAt).toBe(upstreamNow - 3_000);
    expect(issued.expiresAt).toBe(upstreamNow - 3_000 + 3_599_000);
  });

  it('accepts expires_in sent as a numeric string', async () => {
    server.handle(reply(200, await loginBody(T0 / 1000 + 7_200, '1800')));
    expect((await client().login(credentials)).expiresAt).toBe(T0 + 1_800_000);
  });

  it('reports a JWT without exp as an unreadable expiry', async () => {
    server.handle(
      reply(200, { access_token: await signedJwt({ sub: 'p' }), expires_in: 3599, token_type: 'bearer' }),
    );
    expect(await client().login(credentials)).toMatchObject({
      expiresAt: T0 + 3_599_000,
      readableExpiry: false,
    });
  });
});

describe('Identity Service login failures', () => {
  const cases: [string, number, unknown, Record<string, string>, string, number?][] = [
    [
      '401 bad credentials',
      401,
      { error: { type: 'Unauthorized', uuid: 'u', message: 'Bad credentials' } },
      {},
      'UPSTREAM_CREDENTIALS_REJECTED',
    ],
    [
      '403 bad credentials',
      403,
      { error: { type: 'Forbidden', uuid: 'u', message: 'Forbidden' } },
      {},
      'UPSTREAM_CREDENTIALS_REJECTED',
    ],
    [
      '403 AccountDisabled',
      403,
      { error: { type: 'AccountDisabled', uuid: 'u', message: 'Disabled' } },
      {},
      'UPSTREAM_FATAL',
    ],
    [
      '403 AccountNotOnboarded',
      403,
      { error: { type: 'AccountNotOnboarded', uuid: 'u', message: 'x' } },
      {},
      'UPSTREAM_FATAL',
    ],
    [
      '403 AccountUnderMaintenance',
      403,
      { error: { type: 'AccountUnderMaintenance', uuid: 'u', message: 'x' } },
      {},
      'UPSTREAM_FATAL',
    ],
    [
      '400 malformed request',
      400,
      { error: { type: 'BadRequest', uuid: 'u', message: 'grant_type' } },
      {},
      'UPSTREAM_FATAL',
    ],
    [
      '429 with Retry-After',
      429,
      { error: { type: 'TooManyRequests', message: 'slow down' } },
      { 'Retry-After': '9' },
      'UPSTREAM_RETRYABLE',
      9,
    ],
    ['503', 503, 'Service Unavailable', {}, 'UPSTREAM_RETRYABLE'],
    ['403 rate limit text', 403, '403 Forbidden (Rate Limit Exceeded)\n', {}, 'UPSTREAM_RETRYABLE', 5],
  ];

  it.each(cases)('classifies %s', async (_name, status, body, headers, code, retryAfter) => {
    server.handle(reply(status, body, headers));
    const error = await captureError(client().login(credentials));
    expect(error.code).toBe(code);
    expect(error.upstreamStatus).toBe(status);
    expect(error.retryAfterSeconds).toBe(retryAfter);
    expectNoSecrets(error, [CLIENT_SECRET, BASIC]);
  });

  it('reports malformed success answers as UpstreamMalformedError without quoting them', async () => {
    const jws = await signedJwt({ exp: T0 / 1000 + 7_200 });
    const bodies: unknown[] = [
      `{"access_token":"${jws}"`,
      { expires_in: 3599 },
      { access_token: jws },
      { access_token: jws, expires_in: 'soon' },
      { access_token: await directJwe(), expires_in: 3599 },
      { access_token: 'opaque-value', expires_in: 3599 },
      { access_token: await signedJwt({ exp: T0 / 1000 - 10 }), expires_in: 3599 },
      { access_token: jws, expires_in: 0 },
      [jws],
    ];
    for (const body of bodies) {
      server.handle(reply(200, body));
      const error = await captureError(client().login(credentials));
      expect(error.code).toBe('UPSTREAM_MALFORMED');
      expectNoSecrets(error, [jws, CLIENT_SECRET]);
    }
  });

  it('reports an unexpected success status as malformed', async () => {
    server.handle(reply(201, await loginBody(T0 / 1000 + 7_200)));
    expect((await captureError(client().login(credentials))).code).toBe('UPSTREAM_MALFORMED');
  });

  it('refuses unusable client credentials before any request, naming the field only', async () => {
    const error = await captureError(client().login({ clientId: 'has:colon', clientSecret: CLIENT_SECRET }));
    expect(error).toMatchObject({ code: 'SECRET_MALFORMED', details: { field: 'clientId' } });
    expect((await captureError(client().login({ clientId: CLIENT_ID, clientSecret: '' }))).code).toBe(
      'SECRET_MALFORMED',
    );
    expect(server.requests).toHaveLength(0);
  });
});
