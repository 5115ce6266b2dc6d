import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeUpstreamClient } from '../../../shared/adapters/http/make-upstream-client.ts';
import {
  type CredentialConfig,
  canRefresh,
  TOKEN_KINDS,
  type TokenKind,
} from '../../../shared/core/credential.ts';
import type { SecretValue } from '../../../shared/core/secret-source.ts';
import { captureError, expectNoSecrets } from './support/capture-error.ts';
import { base64Wrap, directJwe, rsaJwe, signedJwt } from './support/jose-fixtures.ts';
import { makeSteppingClock } from './support/stepping-clock.ts';
import { reply, type StubServer, startStubServer } from './support/stub-server.ts';

const T0 = Date.parse('2031-01-01T00:00:00Z');
const ACCESS_TOKEN = '1~adapterCanaryAccessToken0123456789abcdefghijklm';
const CLIENT_SECRET = 'adapter-client-secret-canary-0123456789';

let server: StubServer;
beforeAll(async () => {
  server = await startStubServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const credential = (kind: TokenKind): CredentialConfig => ({
  id: `cred-${kind}`,
  kind,
  secretId: 'secret-id',
  baseUrl: server.url,
  fixedParams: {},
  callerParams: {},
});

const upstream = (kind: TokenKind) =>
  makeUpstreamClient(credential(kind), {
    clock: makeSteppingClock(T0, 1_000),
    timeoutMs: 5_000,
    userAgent: 'canvas-credential-broker/test',
  });

const secret = (fields: Record<string, string>): SecretValue => ({ versionId: 'v1', fields });
const signal = () => new AbortController().signal;

describe('makeUpstreamClient', () => {
  it.each(TOKEN_KINDS)(
    'gives a %s client a refresh exactly when canRefresh says the kind can refresh',
    (kind) => {
      expect(upstream(kind).refresh !== undefined).toBe(canRefresh(kind));
    },
  );

  it('mints an Identity Service token from clientId and clientSecret, with no refresh', async () => {
    server.handle(
      reply(200, { access_token: await signedJwt({ exp: T0 / 1000 + 3_600 }), expires_in: 3599 }),
    );
    const client = upstream('identity-service');
    expect(client.refresh).toBeUndefined();
    const issued = await client.mint({
      secret: secret({ clientId: 'id', clientSecret: CLIENT_SECRET }),
      params: {},
      signal: signal(),
    });
    expect(issued.readableExpiry).toBe(true);
    expect(server.requests[0]?.url).toBe('/ids/auth/login');
  });

  it('mints and refreshes a Canvas JWT with the accessToken field and the request params', async () => {
    const token = base64Wrap(await directJwe());
    server.handle(reply(200, { token }));
    const client = upstream('canvas-jwt');
    const request = {
      secret: secret({ accessToken: ACCESS_TOKEN }),
      params: { workflows: ['ui'] },
      signal: signal(),
    };
    expect((await client.mint(request)).refreshableUntil).toBe(T0 + 7 * 3_600_000);
    expect(new URLSearchParams(server.requests[0]?.body).getAll('workflows[]')).toEqual(['ui']);

    await client.refresh?.({ ...request, previousToken: token });
    expect(server.requests[1]?.url).toBe('/api/v1/jwts/refresh');
    expect(new URLSearchParams(server.requests[1]?.body).get('jwt')).toBe(token);
    expect(server.requests[1]?.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
  });

  it('mints an InstAccess token with the accessToken field, with no refresh', async () => {
    server.handle(reply(201, { token: await rsaJwe() }));
    const client = upstream('inst-access');
    expect(client.refresh).toBeUndefined();
    const issued = await client.mint({
      secret: secret({ accessToken: ACCESS_TOKEN }),
      params: {},
      signal: signal(),
    });
    expect(issued.expiresAt).toBe(T0 + 3_600_000);
  });

  it.each([
    ['identity-service', { clientId: 'id' }, 'clientSecret'],
    ['identity-service', { clientSecret: CLIENT_SECRET }, 'clientId'],
    ['canvas-jwt', { clientSecret: CLIENT_SECRET }, 'accessToken'],
    ['inst-access', { accessToken: '' }, 'accessToken'],
  ] as const)(
    '%s: a secret without %o fails with SecretMalformedError naming %s',
    async (kind, fields, field) => {
      const error = await captureError(
        upstream(kind).mint({ secret: secret(fields), params: {}, signal: signal() }),
      );
      expect(error).toMatchObject({
        code: 'SECRET_MALFORMED',
        details: { field, credentialId: `cred-${kind}` },
      });
      expect(error.message).toContain(field);
      expectNoSecrets(error, [CLIENT_SECRET]);
      expect(server.requests).toHaveLength(0);
    },
  );

  it('refuses an access token that cannot be sent in a header, without quoting it', async () => {
    const bad = `${ACCESS_TOKEN}\r\nX-Injected: 1`;
    const error = await captureError(
      upstream('inst-access').mint({ secret: secret({ accessToken: bad }), params: {}, signal: signal() }),
    );
    expect(error).toMatchObject({ code: 'SECRET_MALFORMED', details: { field: 'accessToken' } });
    expectNoSecrets(error, [ACCESS_TOKEN]);
    expect(server.requests).toHaveLength(0);
  });

  it("passes the request's signal through: an aborted mint rejects with its reason", async () => {
    const controller = new AbortController();
    const reason = new Error('shutting down');
    controller.abort(reason);
    await expect(
      upstream('inst-access').mint({
        secret: secret({ accessToken: ACCESS_TOKEN }),
        params: {},
        signal: controller.signal,
      }),
    ).rejects.toBe(reason);
  });
});
