import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeLtiAdvantageClient } from '../../../shared/adapters/http/lti-advantage-client.ts';
import {
  BadRequestError,
  ConfigInvalidError,
  CredentialsRejectedError,
  UpstreamFatalError,
  UpstreamMalformedError,
  UpstreamRetryableError,
} from '../../../shared/core/errors.ts';
import { makeCanary } from '../../support/canary.ts';
import { captureError, expectNoSecrets } from './support/capture-error.ts';
import { makeSteppingClock } from './support/stepping-clock.ts';
import { reply, type StubServer, startStubServer } from './support/stub-server.ts';

const T0 = Date.parse('2031-01-01T00:00:00Z');
const NRPS = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';
const AGS_SCORE = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';

let server: StubServer;
beforeAll(async () => {
  server = await startStubServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const client = (stepMs = 1_000, tokenUrl?: string) =>
  makeLtiAdvantageClient({
    baseUrl: server.url,
    clock: makeSteppingClock(T0, stepMs),
    timeoutMs: 5_000,
    userAgent: 'canvas-credential-broker/test',
    ...(tokenUrl === undefined ? {} : { tokenUrl }),
  });

const success = (token: string, scope: string, extra: Record<string, unknown> = {}) =>
  reply(200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope, ...extra });

describe('the LTI Advantage token client', () => {
  it('posts the client-credentials grant with the JWT assertion and the scopes as a form', async () => {
    const assertion = makeCanary('token');
    server.handle(success(makeCanary('token'), `${AGS_SCORE} ${NRPS}`));
    await client().requestToken({ clientAssertion: assertion, scopes: [NRPS, AGS_SCORE, NRPS] });
    const request = server.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/login/oauth2/token');
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers['user-agent']).toBe('canvas-credential-broker/test');
    expect(request?.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope: `${AGS_SCORE} ${NRPS}`,
    });
  });

  it('reads access_token, expires_in and scope: an hour from the send time, opaque, the requested scopes', async () => {
    const token = makeCanary('token');
    server.handle(success(token, `${NRPS} ${AGS_SCORE}`));
    expect(await client(3_000).requestToken({ clientAssertion: 'a.b.c', scopes: [NRPS, AGS_SCORE] })).toEqual(
      {
        token,
        issuedAt: T0,
        expiresAt: T0 + 3_600_000,
        readableExpiry: false,
        scopes: [AGS_SCORE, NRPS],
      },
    );
  });

  it('anchors on the Canvas Date header minus the round trip', async () => {
    const canvasNow = T0 + 42_000;
    server.handle(
      reply(
        200,
        { access_token: 't0k', token_type: 'Bearer', expires_in: 3600, scope: NRPS },
        { date: new Date(canvasNow).toUTCString() },
      ),
    );
    const issued = await client(2_000).requestToken({ clientAssertion: 'a.b.c', scopes: [NRPS] });
    expect(issued.issuedAt).toBe(canvasNow - 2_000);
    expect(issued.expiresAt).toBe(canvasNow - 2_000 + 3_600_000);
  });

  it('posts to a configured token endpoint, as for Instructure-hosted Canvas', async () => {
    server.handle(success('t0k', NRPS));
    const hosted = client(0, `${server.url}/sso/login/oauth2/token`);
    expect(hosted.tokenUrl.href).toBe(`${server.url}/sso/login/oauth2/token`);
    await hosted.requestToken({ clientAssertion: 'a.b.c', scopes: [NRPS] });
    expect(server.requests[0]?.url).toBe('/sso/login/oauth2/token');
  });

  it('defaults the token endpoint to the Canvas base URL, keeping a path prefix', () => {
    const prefixed = makeLtiAdvantageClient({
      baseUrl: 'https://canvas.example.edu/canvas/',
      clock: makeSteppingClock(T0),
      timeoutMs: 1_000,
      userAgent: 'ua',
    });
    expect(prefixed.tokenUrl.href).toBe('https://canvas.example.edu/canvas/login/oauth2/token');
  });

  it('refuses a token endpoint that is not an http(s) URL', () => {
    expect(() => client(0, 'ftp://canvas.example.edu/token')).toThrow(ConfigInvalidError);
    expect(() => client(0, '/login/oauth2/token')).toThrow(ConfigInvalidError);
  });

  it('never serves a token for a scope set it was not minted for', async () => {
    for (const scope of [NRPS, `${NRPS} ${AGS_SCORE} extra`, '']) {
      server.handle(success(makeCanary('token'), scope));
      const error = await captureError(
        client().requestToken({ clientAssertion: 'a.b.c', scopes: [NRPS, AGS_SCORE] }),
      );
      expect(error).toBeInstanceOf(UpstreamMalformedError);
    }
  });

  it.each([
    ['no access_token', { token_type: 'Bearer', expires_in: 3600, scope: NRPS }],
    ['a non-Bearer token_type', { access_token: 'x', token_type: 'mac', expires_in: 3600, scope: NRPS }],
    ['no expires_in', { access_token: 'x', token_type: 'Bearer', scope: NRPS }],
    ['a non-positive expires_in', { access_token: 'x', token_type: 'Bearer', expires_in: 0, scope: NRPS }],
    ['no scope', { access_token: 'x', token_type: 'Bearer', expires_in: 3600 }],
  ])('reports a success body with %s as malformed', async (_what, body) => {
    server.handle(reply(200, body));
    expect(
      await captureError(client().requestToken({ clientAssertion: 'a.b.c', scopes: [NRPS] })),
    ).toBeInstanceOf(UpstreamMalformedError);
  });

  it('reports a success body that is not JSON as malformed without quoting it', async () => {
    const token = makeCanary('token');
    server.handle(reply(200, `{"access_token":"${token}"`));
    const error = await captureError(client().requestToken({ clientAssertion: 'a.b.c', scopes: [NRPS] }));
    expect(error).toBeInstanceOf(UpstreamMalformedError);
    expectNoSecrets(error, [token]);
  });

  it('treats 401 invalid_client (no active developer key for that client id) as credentials rejected', async () => {
    server.handle(
      reply(
        401,
        { error: 'invalid_client', error_description: 'unknown client' },
        { 'www-authenticate': 'Canvas OAuth 2.0' },
      ),
    );
    const error = await captureError(client().requestToken({ clientAssertion: 'a.b.c', scopes: [NRPS] }));
    expect(error).toBeInstanceOf(CredentialsRejectedError);
    expect(error.upstreamStatus).toBe(401);
    expect(error.message).toContain('invalid_client');
  });

  it('treats 400 "JWS signature invalid." (Canvas does not know the signing key) as credentials rejected', async () => {
    server.handle(reply(400, { error: 'invalid_request', error_description: 'JWS signature invalid.' }));
    expect(
      await captureError(client().requestToken({ clientAssertion: 'a.b.c', scopes: [NRPS] })),
    ).toBeInstanceOf(CredentialsRejectedError);
  });

  it('treats 400 invalid_scope as fatal: no retry can widen the developer key', async () => {
    server.handle(
      reply(400, {
        error: 'invalid_scope',
        error_description: `A requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner. The following scopes were requested, but not granted: ${AGS_SCORE}`,
      }),
    );
    const error = await captureError(
      client().requestToken({ clientAssertion: 'a.b.c', scopes: [AGS_SCORE] }),
    );
    expect(error).toBeInstanceOf(UpstreamFatalError);
    expect(error.retryable).toBe(false);
    expect(error.details?.upstreamErrorType).toBe('invalid_scope');
  });

  it.each([
    "the 'aud' is invalid",
    'the JWT has expired',
    "the 'iat' must be less than 300 seconds old",
    'the following assertions are missing: jti',
  ])('treats 400 invalid_request "%s" as fatal', async (description) => {
    server.handle(reply(400, { error: 'invalid_request', error_description: description }));
    const error = await captureError(client().requestToken({ clientAssertion: 'a.b.c', scopes: [NRPS] }));
    expect(error).toBeInstanceOf(UpstreamFatalError);
    expect(error.message).toContain(description);
  });

  it.each([
    [500, { errors: [{ message: 'An error occurred.' }] }, {}],
    [503, 'Service Unavailable', {}],
    [429, { error: 'slow down' }, { 'retry-after': '7' }],
    [403, '403 Forbidden (Rate Limit Exceeded)\n', {}],
  ] as const)('treats HTTP %s as retryable', async (status, body, headers) => {
    server.handle(reply(status, body, headers));
    const error = await captureError(client().requestToken({ clientAssertion: 'a.b.c', scopes: [NRPS] }));
    expect(error).toBeInstanceOf(UpstreamRetryableError);
    if (status === 429) expect(error.retryAfterSeconds).toBe(7);
  });

  it('never puts the assertion or the token in an error', async () => {
    const assertion = makeCanary('token');
    server.handle(reply(400, { error: 'invalid_request', error_description: `bad ${assertion}` }));
    const error = await captureError(client().requestToken({ clientAssertion: assertion, scopes: [NRPS] }));
    expectNoSecrets(error, [assertion]);
  });

  it('refuses an empty scope set or a scope with a space before calling Canvas', async () => {
    expect(
      await captureError(client().requestToken({ clientAssertion: 'a.b.c', scopes: [] })),
    ).toBeInstanceOf(BadRequestError);
    expect(
      await captureError(
        client().requestToken({ clientAssertion: 'a.b.c', scopes: [`${NRPS} ${AGS_SCORE}`] }),
      ),
    ).toBeInstanceOf(BadRequestError);
    expect(server.requests).toHaveLength(0);
  });
});
