import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  basic,
  control,
  login,
  rawRequest,
  START,
  startTestSimulator,
  type TestSimulator,
  UA,
} from './sim-test-kit.ts';

let t: TestSimulator;
beforeAll(async () => {
  t = await startTestSimulator();
});
afterAll(() => t.sim.stop());
beforeEach(() => t.reset());

const accessToken = async (): Promise<string> => {
  const res = await login(t.url, basic(t.seeds()));
  return ((await res.json()) as { access_token: string }).access_token;
};

const tables = (headers: Record<string, string>) =>
  fetch(`${t.url}/dap/query/canvas/table`, { headers: { ...UA, ...headers } });

const expectDapError = (body: unknown, type: string) => {
  expect(body).toEqual({
    error: { type, uuid: expect.stringMatching(/^[0-9a-f-]{36}$/), message: expect.any(String) },
  });
};

describe('POST /ids/auth/login', () => {
  it('logs in with the client credentials and returns a readable JWS that expires after expires_in', async () => {
    const res = await login(t.url, basic(t.seeds()));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      access_token: expect.any(String),
      expires_in: 3599,
      scope: expect.stringMatching(/^\S+ principal:\S+ partner:\S+ region:us-east-1$/),
      token_type: 'bearer',
    });
    const token = body.access_token as string;
    expect(token.split('.')).toHaveLength(3);
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
    const claims = decodeJwt(token);
    expect(claims.iat).toBe(START / 1000);
    expect(claims.exp).toBe(START / 1000 + 3599);
    expect(claims.scope).toBe(body.scope);
    expect(typeof claims.sub).toBe('string');
  });

  it('issues a different token on every login', async () => {
    expect(await accessToken()).not.toBe(await accessToken());
  });

  it('rejects a wrong secret with 401 in the DAP error envelope, without echoing the secret', async () => {
    const seeds = t.seeds();
    const wrong = `Basic ${Buffer.from(`${seeds.identity.clientId}:not-the-secret`).toString('base64')}`;
    const res = await login(t.url, wrong);
    expect(res.status).toBe(401);
    const text = await res.text();
    expectDapError(JSON.parse(text), 'AuthenticationError');
    expect(text).not.toContain('not-the-secret');
    expect(text).not.toContain(seeds.identity.clientSecret);
  });

  it('rejects a wrong client id and a missing Authorization header with 401', async () => {
    const seeds = t.seeds();
    const wrongId = `Basic ${Buffer.from(`other:${seeds.identity.clientSecret}`).toString('base64')}`;
    expect((await login(t.url, wrongId)).status).toBe(401);
    const res = await fetch(`${t.url}/ids/auth/login`, {
      method: 'POST',
      headers: { ...UA, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(401);
  });

  it('answers a malformed request with 400', async () => {
    const wrongGrant = await login(t.url, basic(t.seeds()), 'grant_type=password');
    expect(wrongGrant.status).toBe(400);
    expectDapError(await wrongGrant.json(), 'ValidationError');
    expect((await login(t.url, basic(t.seeds()), '')).status).toBe(400);
    const json = await fetch(`${t.url}/ids/auth/login`, {
      method: 'POST',
      headers: { ...UA, authorization: basic(t.seeds()), 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(json.status).toBe(400);
  });

  it('refuses a request without User-Agent with 403', async () => {
    const res = await rawRequest(t.url, '/ids/auth/login', {
      method: 'POST',
      headers: { authorization: basic(t.seeds()), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({
      error: 'Forbidden',
      message: expect.stringContaining('user agent'),
    });
  });

  it('honours identityExpiresIn', async () => {
    const short = await startTestSimulator({ identityExpiresIn: 120 });
    try {
      const res = await login(short.url, basic(short.seeds()));
      const body = (await res.json()) as { expires_in: number; access_token: string };
      expect(body.expires_in).toBe(120);
      expect(decodeJwt(body.access_token).exp).toBe(START / 1000 + 120);
    } finally {
      await short.sim.stop();
    }
  });

  it('can be made to report a fatal account state', async () => {
    await control(t.url, 'faults', 'POST', { endpoint: 'ids-login', kind: 'status', status: 403, times: 1 });
    const disabled = await login(t.url, basic(t.seeds()));
    expect(disabled.status).toBe(403);
    expectDapError(await disabled.json(), 'AccountDisabled');
    await control(t.url, 'faults', 'POST', {
      endpoint: 'ids-login',
      kind: 'status',
      status: 403,
      errorType: 'AccountUnderMaintenance',
      times: 1,
    });
    expectDapError(await (await login(t.url, basic(t.seeds()))).json(), 'AccountUnderMaintenance');
    expect((await login(t.url, basic(t.seeds()))).status).toBe(200);
  });

  it('can be made to rate-limit logins with 429 and Retry-After', async () => {
    await control(t.url, 'faults', 'POST', {
      endpoint: 'ids-login',
      kind: 'rate-limit',
      retryAfter: 17,
      times: 1,
    });
    const res = await login(t.url, basic(t.seeds()));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('17');
    expectDapError(await res.json(), 'TooManyRequests');
  });
});

describe('GET /dap/query/canvas/table', () => {
  it('lists the tables for a valid access token', async () => {
    const res = await tables({ authorization: `Bearer ${await accessToken()}` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { tables: string[] };
    expect(body.tables).toContain('accounts');
  });

  it('allows 5 calls a minute, then 429 with an integer Retry-After, on the simulator clock', async () => {
    const token = await accessToken();
    for (let i = 0; i < 5; i += 1) {
      expect((await tables({ authorization: `Bearer ${token}` })).status).toBe(200);
    }
    const limited = await tables({ authorization: `Bearer ${token}` });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expectDapError(await limited.json(), 'TooManyRequests');
    t.clock.advance(60_000);
    expect((await tables({ authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('rejects a missing, foreign or expired token with 401', async () => {
    expect((await tables({})).status).toBe(401);
    expect((await tables({ authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' })).status).toBe(401);
    const token = await accessToken();
    t.clock.advance(3599_000);
    const expired = await tables({ authorization: `Bearer ${token}` });
    expect(expired.status).toBe(401);
    expectDapError(await expired.json(), 'AuthenticationError');
  });

  it('still accepts the deprecated x-instauth header, but Authorization wins when both are sent', async () => {
    const token = await accessToken();
    expect((await tables({ 'x-instauth': token })).status).toBe(200);
    expect((await tables({ 'x-instauth': token, authorization: 'Bearer not-a-token' })).status).toBe(401);
  });

  it('refuses a request without User-Agent with 403', async () => {
    const res = await rawRequest(t.url, '/dap/query/canvas/table', {
      headers: { authorization: `Bearer ${await accessToken()}` },
    });
    expect(res.status).toBe(403);
  });
});
