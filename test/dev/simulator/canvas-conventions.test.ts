import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  call,
  control,
  mintInstAccess,
  mintJwt,
  rawRequest,
  START,
  startTestSimulator,
  type TestSimulator,
  UA,
} from './sim-test-kit.ts';

let t: TestSimulator;
let token: string;
beforeAll(async () => {
  t = await startTestSimulator();
});
afterAll(() => t.sim.stop());
beforeEach(() => {
  t.reset();
  token = t.seeds().canvas.accessToken;
});

const WWW = 'Bearer realm="canvas-lms"';

describe('Canvas authentication', () => {
  it('answers a request without credentials with 401 unauthenticated and WWW-Authenticate', async () => {
    const res = await call(t.url, '/api/v1/users/self');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(WWW);
    expect(await res.json()).toEqual({
      status: 'unauthenticated',
      errors: [{ message: 'user authorization required' }],
    });
  });

  it('answers an unknown token with 401 Invalid access token and WWW-Authenticate', async () => {
    const res = await call(t.url, '/api/v1/users/self', { token: '1~nottherightone' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(WWW);
    expect(await res.json()).toEqual({ errors: [{ message: 'Invalid access token.' }] });
  });

  it('accepts the seeded token as Bearer and returns the user', async () => {
    const res = await call(t.url, '/api/v1/users/self', { token });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 1, name: expect.any(String) });
  });

  it('falls back to an access_token param in the query or the body', async () => {
    const query = await call(t.url, `/api/v1/users/self?access_token=${encodeURIComponent(token)}`);
    expect(query.status).toBe(200);
    const body = await call(t.url, '/api/v1/jwts', { form: { access_token: token } });
    expect(body.status).toBe(200);
  });

  it('rejects a token once its expires_at has passed on the simulator clock', async () => {
    const created = await call(t.url, '/api/v1/users/self/tokens', {
      token,
      form: { 'token[purpose]': 'short', 'token[expires_at]': new Date(START + 60_000).toISOString() },
    });
    const secret = ((await created.json()) as { visible_token: string }).visible_token;
    expect((await call(t.url, '/api/v1/users/self', { token: secret })).status).toBe(200);
    t.clock.advance(60_000);
    const res = await call(t.url, '/api/v1/users/self', { token: secret });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(WWW);
  });

  it('recognises its own services JWTs and InstAccess tokens as Bearer credentials', async () => {
    const jwt = await mintJwt(t.url, token);
    expect((await call(t.url, '/api/v1/users/self', { token: jwt })).status).toBe(200);
    const instAccess = await mintInstAccess(t.url, token);
    expect((await call(t.url, '/api/v1/users/self', { token: instAccess })).status).toBe(200);
    t.clock.advance(3600_000);
    const expired = await call(t.url, '/api/v1/users/self', { token: jwt });
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toBe(WWW);
  });

  it('answers a scoped token calling an unscoped route with 401 Insufficient scopes and no WWW-Authenticate', async () => {
    const created = await call(t.url, '/api/v1/users/self/tokens', {
      token,
      form: { 'token[purpose]': 'scoped', 'token[scopes][]': ['url:GET|/api/v1/users/:id'] },
    });
    const scoped = ((await created.json()) as { visible_token: string }).visible_token;
    expect((await call(t.url, '/api/v1/users/self', { token: scoped })).status).toBe(200);
    const res = await call(t.url, '/api/v1/jwts', { token: scoped, form: {} });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(await res.json()).toEqual({ errors: [{ message: 'Insufficient scopes on access token.' }] });
  });
});

describe('Canvas request conventions', () => {
  it('refuses a request without User-Agent with 403', async () => {
    const res = await rawRequest(t.url, '/api/v1/users/self', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({
      error: 'Forbidden',
      message: expect.stringContaining('valid user agent'),
    });
  });

  it('sends only lower-case header names', async () => {
    const res = await rawRequest(t.url, '/api/v1/users/self', {
      headers: { authorization: `Bearer ${token}`, ...UA },
    });
    expect(res.status).toBe(200);
    for (const name of res.rawHeaderNames) expect(name).toBe(name.toLowerCase());
  });

  it('dates responses by the simulator clock, offset included', async () => {
    const first = await call(t.url, '/api/v1/users/self', { token });
    expect(first.headers.get('date')).toBe(new Date(START).toUTCString());
    t.clock.advance(5_000);
    await control(t.url, 'clock', 'POST', { offsetSeconds: 3600 });
    const later = await call(t.url, '/api/v1/users/self', { token });
    expect(later.headers.get('date')).toBe(new Date(START + 5_000 + 3600_000).toUTCString());
  });

  it('reports the request cost and the remaining rate limit on normal responses', async () => {
    const res = await call(t.url, '/api/v1/users/self', { token });
    expect(res.headers.get('x-request-cost')).toBe('0.05');
    expect(res.headers.get('x-rate-limit-remaining')).toBe('599.95');
    const failed = await call(t.url, '/api/v1/users/self', { token: 'bogus' });
    expect(failed.headers.get('x-rate-limit-remaining')).toBe('599.95');
  });

  it('throttles a token after a few rapid InstAccess mints with the 403 rate-limit text, until the bucket leaks', async () => {
    const costs: Array<string | null> = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await call(t.url, '/api/v1/inst_access_tokens', { method: 'POST', token });
      expect(res.status).toBe(201);
      costs.push(res.headers.get('x-request-cost'));
    }
    expect(costs).toEqual(['200.05', '200.05', '200.05']);
    const throttled = await call(t.url, '/api/v1/inst_access_tokens', { method: 'POST', token });
    expect(throttled.status).toBe(403);
    expect(throttled.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(throttled.headers.get('x-rate-limit-remaining')).toBe('0.0');
    expect(await throttled.text()).toBe('403 Forbidden (Rate Limit Exceeded)\n');
    // Other routes share the token's bucket; another token has its own.
    expect((await call(t.url, '/api/v1/users/self', { token })).status).toBe(403);
    expect((await call(t.url, '/api/v1/users/self', { token: 'someone-else' })).status).toBe(401);
    t.clock.advance(10_000);
    expect((await call(t.url, '/api/v1/users/self', { token })).status).toBe(200);
  });

  it('answers an unknown route, or a known path with another method, with the 404 envelope', async () => {
    for (const res of [
      await call(t.url, '/api/v1/nothing/here', { token }),
      await call(t.url, '/api/v1/jwts', { token }),
    ]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ errors: [{ message: 'The specified resource does not exist.' }] });
    }
  });

  it('answers an oversized body with 413 and unparseable JSON with 400, then keeps serving', async () => {
    const big = await call(t.url, '/api/v1/jwts', { token, json: { pad: 'x'.repeat(70 * 1024) } });
    expect(big.status).toBe(413);
    const bad = await fetch(`${t.url}/api/v1/jwts`, {
      method: 'POST',
      headers: { ...UA, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"workflows":',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ errors: [{ message: expect.any(String) }] });
    expect((await call(t.url, '/api/v1/users/self', { token })).status).toBe(200);
  });

  it('survives hostile input without crashing', async () => {
    const hostile = [
      { path: '/api/v1/users/%E0%A4%A/tokens', method: 'GET' },
      { path: '/api/v1/jwts?a=%zz', method: 'POST' },
      { path: '/api/v1/jwts?a=1&a[b]=2', method: 'POST' },
      { path: '/api/v1/users/self/tokens', method: 'POST', body: '[1,2,3]', type: 'application/json' },
      { path: '/api/v1/users/self/tokens', method: 'POST', body: '"token"', type: 'application/json' },
      { path: '/api/v1/users/self/tokens', method: 'POST', body: 'token=1', type: undefined },
      { path: '/api/v1/users/self/tokens/%00', method: 'PUT', body: 'token[regenerate]=1' },
      { path: '/api/v1/jwts/refresh', method: 'POST', body: 'jwt[]=1&jwt[]=2' },
      { path: '/api/v1/jwts/refresh', method: 'POST', body: `jwt=${'A'.repeat(40_000)}` },
      {
        path: '/ids/auth/login',
        method: 'POST',
        body: '\u0000\u0001',
        type: 'application/x-www-form-urlencoded',
      },
      { path: `/api/v1/users/${'9'.repeat(400)}`, method: 'GET' },
    ];
    for (const input of hostile) {
      const res = await rawRequest(t.url, input.path, {
        method: input.method,
        headers: {
          ...UA,
          authorization: `Bearer ${token}`,
          ...(input.type ? { 'content-type': input.type } : {}),
        },
        ...(input.body === undefined ? {} : { body: input.body }),
      });
      expect(res.status, input.path).toBeGreaterThanOrEqual(400);
      expect(res.status, input.path).toBeLessThan(500);
    }
    expect((await call(t.url, '/api/v1/users/self', { token })).status).toBe(200);
  });

  it('publishes the Canvas signing keys at /internal/services/jwks without authentication', async () => {
    const res = await call(t.url, '/internal/services/jwks');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { keys: Array<Record<string, unknown>> };
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) });
    expect(body.keys[0]).not.toHaveProperty('d');
  });

  it('lets an admin read a user of its account but not a user of another institution', async () => {
    expect((await call(t.url, '/api/v1/users/2', { token })).status).toBe(200);
    expect((await call(t.url, '/api/v1/users/3', { token })).status).toBe(403);
    expect((await call(t.url, '/api/v1/users/999', { token })).status).toBe(404);
  });
});
