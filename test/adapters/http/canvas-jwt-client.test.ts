import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeCanvasJwtClient } from '../../../shared/adapters/http/canvas-jwt-client.ts';
import { captureError, expectNoSecrets } from './support/capture-error.ts';
import { base64Wrap, directJwe, signedJwt } from './support/jose-fixtures.ts';
import { makeSteppingClock } from './support/stepping-clock.ts';
import { reply, type StubServer, startStubServer } from './support/stub-server.ts';

const T0 = Date.parse('2031-01-01T00:00:00Z');
const HOUR = 3_600_000;
const ACCESS_TOKEN = '1~canvasAccessTokenCanary0123456789abcdefghijklmnop';
const WWW_AUTH = { 'WWW-Authenticate': 'Bearer realm="canvas-lms"' };

let server: StubServer;
beforeAll(async () => {
  server = await startStubServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const client = (stepMs = 1_000) =>
  makeCanvasJwtClient({
    baseUrl: server.url,
    clock: makeSteppingClock(T0, stepMs),
    timeoutMs: 5_000,
    userAgent: 'canvas-credential-broker/test',
  });

const form = (index = 0) => new URLSearchParams(server.requests[index]?.body ?? '');

describe('Canvas JWT create', () => {
  it('sends the normalized parameters, canvas_audience exactly "true" by default', async () => {
    server.handle(reply(200, { token: base64Wrap(await directJwe()) }));
    await client().create({
      accessToken: ACCESS_TOKEN,
      params: { workflows: ['rich_content', 'ui'], contextType: 'Course', contextId: '42' },
    });
    const request = server.requests[0];
    expect(request).toMatchObject({ method: 'POST', url: '/api/v1/jwts' });
    expect(request?.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(request?.headers['user-agent']).toBe('canvas-credential-broker/test');
    expect(form().getAll('workflows[]')).toEqual(['rich_content', 'ui']);
    expect(form().get('context_type')).toBe('Course');
    expect(form().get('context_id')).toBe('42');
    expect(form().has('context_uuid')).toBe(false);
    expect(form().get('canvas_audience')).toBe('true');
    expect(form().has('audience')).toBe(false);
  });

  it('sends canvas_audience exactly "false", a context uuid and an audience when asked', async () => {
    server.handle(reply(200, { token: base64Wrap(await signedJwt({ exp: T0 / 1000 + 3_600 })) }));
    await client().create({
      accessToken: ACCESS_TOKEN,
      params: {
        canvasAudience: false,
        contextType: 'User',
        contextUuid: 'uuid-1',
        audience: 'a.example b.example',
      },
    });
    expect(form().get('canvas_audience')).toBe('false');
    expect(form().get('context_uuid')).toBe('uuid-1');
    expect(form().has('context_id')).toBe(false);
    expect(form().get('audience')).toBe('a.example b.example');
    expect(form().has('workflows[]')).toBe(false);
  });

  it('reads an encrypted token as unreadable: one hour from the send time, refreshable six hours more', async () => {
    const token = base64Wrap(await directJwe());
    server.handle(reply(200, { token }));
    expect(await client(4_000).create({ accessToken: ACCESS_TOKEN, params: {} })).toEqual({
      token,
      issuedAt: T0,
      expiresAt: T0 + HOUR,
      readableExpiry: false,
      refreshableUntil: T0 + 7 * HOUR,
    });
  });

  it('reads a signed-only token: exp wins when earlier, and no refresh window', async () => {
    const token = base64Wrap(await signedJwt({ exp: T0 / 1000 + 1_800, iss: 'Canvas' }));
    server.handle(reply(200, { token }));
    const issued = await client().create({ accessToken: ACCESS_TOKEN, params: { canvasAudience: false } });
    expect(issued).toEqual({ token, issuedAt: T0, expiresAt: T0 + 1_800_000, readableExpiry: true });
  });

  it('caps a signed-only token at one hour from the anchor when its exp is later', async () => {
    server.handle(reply(200, { token: base64Wrap(await signedJwt({ exp: T0 / 1000 + 7_200 })) }));
    expect((await client().create({ accessToken: ACCESS_TOKEN, params: {} })).expiresAt).toBe(T0 + HOUR);
  });

  it('anchors on the Canvas Date header minus the round trip', async () => {
    const canvasNow = T0 + 120_000; // the local clock runs 2 minutes slow
    server.handle(
      reply(200, { token: base64Wrap(await directJwe()) }, { Date: new Date(canvasNow).toUTCString() }),
    );
    const issued = await client(5_000).create({ accessToken: ACCESS_TOKEN, params: {} });
    expect(issued.issuedAt).toBe(canvasNow - 5_000);
    expect(issued.expiresAt).toBe(canvasNow - 5_000 + HOUR);
  });

  it('returns a line-wrapped token exactly as Canvas sent it', async () => {
    const token = base64Wrap(await directJwe()).replace(/(.{60})/g, '$1\n');
    server.handle(reply(200, { token }));
    expect((await client().create({ accessToken: ACCESS_TOKEN, params: {} })).token).toBe(token);
  });
});

describe('Canvas JWT create failures (contract section 2)', () => {
  const cases: [string, number, unknown, Record<string, string>, string][] = [
    [
      '401 not authenticated',
      401,
      { status: 'unauthenticated', errors: [{ message: 'user authorization required' }] },
      WWW_AUTH,
      'UPSTREAM_CREDENTIALS_REJECTED',
    ],
    [
      '401 invalid token',
      401,
      { errors: [{ message: 'Invalid access token.' }] },
      WWW_AUTH,
      'UPSTREAM_CREDENTIALS_REJECTED',
    ],
    [
      '401 expired token',
      401,
      { errors: [{ message: 'Expired access token.', expired_at: '2030-01-01T00:00:00Z' }] },
      WWW_AUTH,
      'UPSTREAM_CREDENTIALS_REJECTED',
    ],
    [
      '401 insufficient scopes',
      401,
      { errors: [{ message: 'Insufficient scopes on access token.' }] },
      {},
      'UPSTREAM_FATAL',
    ],
    [
      '403 authorized by a JWT',
      403,
      { error: 'cannot generate a JWT when authorized by a JWT' },
      {},
      'UPSTREAM_FATAL',
    ],
    ['401 audience without access token', 401, { errors: { jwt: 'unauthorized' } }, {}, 'UPSTREAM_FATAL'],
    [
      '400 audience not allowed',
      400,
      {
        error: 'invalid_target',
        error_description: 'The requested audience is not permitted for this client',
      },
      {},
      'UPSTREAM_FATAL',
    ],
    ['400 missing context_type', 400, { error: 'Missing context_type parameter.' }, {}, 'UPSTREAM_FATAL'],
    [
      '400 missing context id',
      400,
      { error: 'Missing context_id or context_uuid parameter.' },
      {},
      'UPSTREAM_FATAL',
    ],
    [
      '400 both context ids',
      400,
      { error: 'Should provide context_id or context_uuid parameters, but not both.' },
      {},
      'UPSTREAM_FATAL',
    ],
    ['400 bad context_type', 400, { error: 'Invalid context_type parameter.' }, {}, 'UPSTREAM_FATAL'],
    [
      '404 context not found',
      404,
      { errors: [{ message: 'The specified resource does not exist.' }] },
      {},
      'UPSTREAM_FATAL',
    ],
    [
      '403 no read access',
      403,
      { status: 'unauthorized', errors: [{ message: 'user not authorized to perform that action' }] },
      {},
      'UPSTREAM_FATAL',
    ],
    [
      '403 rate limit',
      403,
      '403 Forbidden (Rate Limit Exceeded)\n',
      { 'X-Rate-Limit-Remaining': '0.0' },
      'UPSTREAM_RETRYABLE',
    ],
    ['429', 429, 'Too Many Requests', { 'Retry-After': '3' }, 'UPSTREAM_RETRYABLE'],
    [
      '500',
      500,
      { errors: [{ message: 'An error occurred.', error_code: 'internal_server_error' }] },
      {},
      'UPSTREAM_RETRYABLE',
    ],
  ];

  it.each(cases)('classifies %s', async (_name, status, body, headers, code) => {
    server.handle(reply(status, body, headers));
    const error = await captureError(client().create({ accessToken: ACCESS_TOKEN, params: {} }));
    expect(error.code).toBe(code);
    expect(error.upstreamStatus).toBe(status);
    expectNoSecrets(error, [ACCESS_TOKEN]);
  });

  it('reports a token that is not Base64 of a compact JOSE string as malformed', async () => {
    const jwe = await directJwe();
    for (const body of [
      { token: jwe },
      { token: base64Wrap('not.a.jwt') },
      { token: Buffer.from('plain text').toString('base64') },
      { token: '' },
      { nope: true },
      'not json',
    ]) {
      server.handle(reply(200, body));
      const error = await captureError(client().create({ accessToken: ACCESS_TOKEN, params: {} }));
      expect(error.code).toBe('UPSTREAM_MALFORMED');
      expectNoSecrets(error, [jwe, ACCESS_TOKEN]);
    }
  });

  it('reports 201 as an unexpected success status', async () => {
    server.handle(reply(201, { token: base64Wrap(await directJwe()) }));
    expect((await captureError(client().create({ accessToken: ACCESS_TOKEN, params: {} }))).code).toBe(
      'UPSTREAM_MALFORMED',
    );
  });
});

describe('Canvas JWT refresh', () => {
  it('posts the exact token and reads the new one like a created token', async () => {
    const previous = base64Wrap(await directJwe('previous')).replace(/(.{60})/g, '$1\n');
    const next = base64Wrap(await directJwe('next'));
    server.handle(reply(200, { token: next }));
    const issued = await client().refresh({ accessToken: ACCESS_TOKEN, jwt: previous });
    expect(issued).toEqual({
      token: next,
      issuedAt: T0,
      expiresAt: T0 + HOUR,
      readableExpiry: false,
      refreshableUntil: T0 + 7 * HOUR,
    });
    expect(server.requests[0]).toMatchObject({ method: 'POST', url: '/api/v1/jwts/refresh' });
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(form().get('jwt')).toBe(previous);
  });

  it('reads "invalid refresh" as RefreshRejectedError', async () => {
    server.handle(reply(400, { errors: { jwt: 'invalid refresh' } }));
    const error = await captureError(
      client().refresh({ accessToken: ACCESS_TOKEN, jwt: base64Wrap(await directJwe()) }),
    );
    expect(error).toMatchObject({ code: 'UPSTREAM_REFRESH_REJECTED', upstreamStatus: 400 });
  });

  it('reads a missing jwt as fatal, and a rejected access token as rejected credentials', async () => {
    const jwt = base64Wrap(await directJwe());
    server.handle(reply(400, { errors: { jwt: 'required' } }));
    expect((await captureError(client().refresh({ accessToken: ACCESS_TOKEN, jwt }))).code).toBe(
      'UPSTREAM_FATAL',
    );
    server.handle(reply(401, { errors: [{ message: 'Invalid access token.' }] }, WWW_AUTH));
    expect((await captureError(client().refresh({ accessToken: ACCESS_TOKEN, jwt }))).code).toBe(
      'UPSTREAM_CREDENTIALS_REJECTED',
    );
    server.handle(reply(403, { error: 'cannot generate a JWT when authorized by a JWT' }));
    expect((await captureError(client().refresh({ accessToken: ACCESS_TOKEN, jwt }))).code).toBe(
      'UPSTREAM_FATAL',
    );
  });

  it('rejects a signed-only token at once, without calling Canvas', async () => {
    const jwt = base64Wrap(await signedJwt({ exp: T0 / 1000 + 3_600 }));
    const error = await captureError(client().refresh({ accessToken: ACCESS_TOKEN, jwt }));
    expect(error.code).toBe('UPSTREAM_REFRESH_REJECTED');
    expect(server.requests).toHaveLength(0);
    expectNoSecrets(error, [jwt]);
  });
});
