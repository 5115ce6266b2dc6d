import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  basic,
  call,
  control,
  login,
  mintInstAccess,
  mintJwt,
  START,
  startTestSimulator,
  type TestSimulator,
  waitForCalls,
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

const addFault = async (body: unknown) => {
  const res = await control(t.url, 'faults', 'POST', body);
  expect(res.status).toBe(204);
};

const jwts = () => call(t.url, '/api/v1/jwts', { token, form: {} });

describe('GET /__sim/stats', () => {
  it('counts every request that reached each endpoint, failed and faulted ones included', async () => {
    await login(t.url, basic(t.seeds()));
    await login(t.url, 'Basic bm9wZTpub3Bl');
    await addFault({ endpoint: 'jwts', kind: 'status', status: 500, times: 1 });
    await jwts();
    await jwts();
    await call(t.url, '/api/v1/users/self', { token });
    const res = await control(t.url, 'stats', 'GET');
    const body = (await res.json()) as { calls: unknown; routes: Record<string, number> };
    expect(body.calls).toEqual({
      'ids-login': 2,
      jwts: 2,
      'jwts-refresh': 0,
      'inst-access': 0,
      tokens: 0,
      'dap-tables': 0,
      'lti-token': 0,
    });
    expect(body.routes).toMatchObject({ 'ids-login': 2, jwts: 2, 'users-show': 1, 'tokens-create': 0 });
    const again = (await (await control(t.url, 'stats', 'GET')).json()) as { calls: unknown };
    expect(t.sim.stats()).toEqual(again.calls);
  });
});

describe('POST /__sim/faults', () => {
  it('answers with the injected status in the endpoint’s error shape, for `times` requests', async () => {
    await addFault({ endpoint: 'jwts', kind: 'status', status: 500, times: 2 });
    for (let i = 0; i < 2; i += 1) {
      const res = await jwts();
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({
        errors: [{ message: 'An error occurred.', error_code: expect.any(String) }],
      });
    }
    expect((await jwts()).status).toBe(200);
  });

  it('sends Retry-After with 429 and 503 faults', async () => {
    await addFault({ endpoint: 'inst-access', kind: 'status', status: 429, retryAfter: 9, times: 1 });
    await addFault({ endpoint: 'jwts-refresh', kind: 'status', status: 503, retryAfter: 3, times: 1 });
    const limited = await call(t.url, '/api/v1/inst_access_tokens', { method: 'POST', token });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('9');
    const unavailable = await call(t.url, '/api/v1/jwts/refresh', { token, form: { jwt: 'x' } });
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('3');
  });

  it('gives a 400 refresh fault the invalid-refresh shape and a 401 fault WWW-Authenticate', async () => {
    await addFault({ endpoint: 'jwts-refresh', kind: 'status', status: 400, times: 1 });
    await addFault({ endpoint: 'tokens', kind: 'status', status: 401, times: 1 });
    const refresh = await call(t.url, '/api/v1/jwts/refresh', { token, form: { jwt: 'x' } });
    expect(await refresh.json()).toEqual({ errors: { jwt: 'invalid refresh' } });
    const tokens = await call(t.url, '/api/v1/users/self/user_generated_tokens', { token });
    expect(tokens.status).toBe(401);
    expect(tokens.headers.get('www-authenticate')).toBe('Bearer realm="canvas-lms"');
  });

  it('applies "*" faults to every endpoint', async () => {
    await addFault({ endpoint: '*', kind: 'status', status: 502 });
    expect((await jwts()).status).toBe(502);
    expect((await login(t.url, basic(t.seeds()))).status).toBe(502);
    expect((await call(t.url, '/api/v1/users/self/tokens/1', { token })).status).toBe(502);
  });

  it('rate-limits Canvas endpoints with the 403 text', async () => {
    await addFault({ endpoint: 'jwts', kind: 'rate-limit', times: 1 });
    const res = await jwts();
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('x-rate-limit-remaining')).toBe('0.0');
    expect(await res.text()).toBe('403 Forbidden (Rate Limit Exceeded)\n');
  });

  it('answers a malformed fault with a 200 whose body is not JSON', async () => {
    await addFault({ endpoint: 'ids-login', kind: 'malformed', times: 1 });
    const res = await login(t.url, basic(t.seeds()));
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
  });

  it('answers normally after a delay fault', async () => {
    await addFault({ endpoint: 'jwts', kind: 'delay', delayMs: 5, times: 1 });
    expect((await jwts()).status).toBe(200);
  });

  it('never answers a hung request; the client gives up and the simulator keeps serving', async () => {
    await addFault({ endpoint: 'jwts', kind: 'hang', times: 1 });
    const abort = new AbortController();
    const pending = call(t.url, '/api/v1/jwts', { token, form: {}, signal: abort.signal });
    await waitForCalls(t.url, 'jwts', 1);
    abort.abort();
    await expect(pending).rejects.toThrow();
    expect((await jwts()).status).toBe(200);
  });

  it('clears every fault on DELETE', async () => {
    await addFault({ endpoint: '*', kind: 'status', status: 500 });
    expect((await control(t.url, 'faults', 'DELETE')).status).toBe(204);
    expect((await jwts()).status).toBe(200);
  });

  it.each([
    ['not JSON', '{'],
    ['an empty body', ''],
    ['an unknown endpoint', { endpoint: 'everything', kind: 'hang' }],
    ['an unknown kind', { endpoint: 'jwts', kind: 'fire' }],
    ['a status fault without status', { endpoint: 'jwts', kind: 'status' }],
    ['negative times', { endpoint: 'jwts', kind: 'hang', times: -1 }],
  ])('refuses %s with 400', async (_label, body) => {
    const res = await control(t.url, 'faults', 'POST', body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: expect.any(String) });
  });
});

describe('POST /__sim/rotate', () => {
  it('issues new credentials and refuses the old ones from then on', async () => {
    const before = t.seeds();
    const res = await control(t.url, 'rotate');
    expect(res.status).toBe(200);
    const after = (await res.json()) as typeof before;
    expect(after).toEqual({
      url: t.url,
      identity: { clientId: before.identity.clientId, clientSecret: expect.any(String) },
      canvas: { accessToken: expect.any(String), userId: 1 },
    });
    expect(after.identity.clientSecret).not.toBe(before.identity.clientSecret);
    expect(after.canvas.accessToken).not.toBe(before.canvas.accessToken);
    expect(t.seeds()).toEqual(after);
    expect((await login(t.url, basic(before))).status).toBe(401);
    expect((await login(t.url, basic(after))).status).toBe(200);
    expect((await call(t.url, '/api/v1/users/self', { token: before.canvas.accessToken })).status).toBe(401);
    expect((await call(t.url, '/api/v1/users/self', { token: after.canvas.accessToken })).status).toBe(200);
  });

  it('issues a fresh seed token when the old one was deleted through the Tokens API', async () => {
    await call(t.url, '/api/v1/users/self/tokens/1', { method: 'DELETE', token });
    const rotated = t.sim.rotate();
    expect((await call(t.url, '/api/v1/users/self', { token: rotated.canvas.accessToken })).status).toBe(200);
  });
});

describe('POST /__sim/clock', () => {
  it('skews the simulator clock and refuses nonsense', async () => {
    const res = await control(t.url, 'clock', 'POST', { offsetSeconds: -90 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ offsetSeconds: -90, now: START - 90_000 });
    for (const body of [{ offsetSeconds: 'soon' }, { offset: 1 }, [], '1e400', { offsetSeconds: 1e12 }]) {
      expect((await control(t.url, 'clock', 'POST', body)).status).toBe(400);
    }
  });
});

describe('POST /__sim/reset', () => {
  it('restores the start state', async () => {
    const start = t.seeds();
    const created = await call(t.url, '/api/v1/users/self/tokens', {
      token,
      form: { 'token[purpose]': 'temp' },
    });
    const temp = ((await created.json()) as { visible_token: string }).visible_token;
    await control(t.url, 'rotate');
    await addFault({ endpoint: '*', kind: 'status', status: 500 });
    await control(t.url, 'clock', 'POST', { offsetSeconds: 999 });
    for (let i = 0; i < 3; i += 1) await call(t.url, '/api/v1/inst_access_tokens', { method: 'POST', token });

    expect((await control(t.url, 'reset')).status).toBe(204);

    expect(t.seeds()).toEqual(start);
    expect(Object.values(t.sim.stats()).every((count) => count === 0)).toBe(true);
    expect((await call(t.url, '/api/v1/users/self', { token: temp })).status).toBe(401);
    const res = await call(t.url, '/api/v1/inst_access_tokens', {
      method: 'POST',
      token: start.canvas.accessToken,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-rate-limit-remaining')).toBe('399.95');
    expect(res.headers.get('date')).toBe(new Date(START).toUTCString());
  });
});

describe('POST /__sim/introspect', () => {
  const introspect = async (value: string) => {
    const res = await control(t.url, 'introspect', 'POST', { token: value });
    expect(res.status).toBe(200);
    return res.json();
  };

  it('tells each kind of token apart and says whether it is accepted now', async () => {
    const ids = ((await (await login(t.url, basic(t.seeds()))).json()) as { access_token: string })
      .access_token;
    const now = START / 1000;
    expect(await introspect(ids)).toEqual({ active: true, kind: 'ids', iat: now, exp: now + 3599 });
    expect(await introspect(await mintJwt(t.url, token))).toMatchObject({ active: true, kind: 'canvas-jwt' });
    expect(await introspect(await mintInstAccess(t.url, token))).toMatchObject({
      active: true,
      kind: 'inst-access',
    });
    expect(await introspect(token)).toEqual({ active: true, kind: 'canvas-access-token', iat: now });
    expect(await introspect('nothing-we-issued')).toEqual({ active: false });
    t.clock.advance(3599_000);
    expect(await introspect(ids)).toMatchObject({ active: false, kind: 'ids' });
  });

  it('reports deleted access tokens as inactive, same as introspect()', async () => {
    await call(t.url, '/api/v1/users/self/tokens/1', { method: 'DELETE', token });
    expect(await introspect(token)).toEqual(await t.sim.introspect(token));
    expect(await introspect(token)).toMatchObject({ active: false, kind: 'canvas-access-token' });
  });

  it('refuses a body without a token', async () => {
    expect((await control(t.url, 'introspect', 'POST', {})).status).toBe(400);
  });
});

describe('POST /__sim/lti/keys and the LTI token route', () => {
  const ltiToken = (body: Record<string, string>) =>
    fetch(`${t.url}/login/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'sim-test' },
      body: new URLSearchParams(body),
    });

  it('registers a developer key and echoes its client id and scopes', async () => {
    const res = await control(t.url, 'lti/keys', 'POST', {
      clientId: '10000000000007',
      scopes: ['https://purl.imsglobal.org/spec/lti-ags/scope/score'],
      publicJwkUrl: 'http://127.0.0.1:9/jwks.json',
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      clientId: '10000000000007',
      scopes: ['https://purl.imsglobal.org/spec/lti-ags/scope/score'],
    });
  });

  it('refuses a key without scopes, with both or neither public key forms, or a non-numeric client id', async () => {
    const jwk = { kty: 'RSA', n: 'AQAB', e: 'AQAB' };
    for (const body of [
      { publicJwk: jwk },
      { scopes: ['a'] },
      { scopes: ['a'], publicJwk: jwk, publicJwkUrl: 'http://127.0.0.1:9/' },
      { clientId: 'abc', scopes: ['a'], publicJwk: jwk },
      'not an object',
    ]) {
      const res = await control(t.url, 'lti/keys', 'POST', body);
      expect(res.status).toBe(400);
    }
  });

  it('serves POST /login/oauth2/token: counted, and faulted like every other route', async () => {
    const refused = await ltiToken({ grant_type: 'password' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'unsupported_grant_type' });
    await addFault({ endpoint: 'lti-token', kind: 'status', status: 503, times: 1 });
    expect((await ltiToken({ grant_type: 'client_credentials' })).status).toBe(503);
    const stats = (await (await control(t.url, 'stats', 'GET')).json()) as {
      calls: Record<string, number>;
      lti: { refused: number };
    };
    expect(stats.calls['lti-token']).toBe(2);
    expect(stats.lti.refused).toBe(1);
  });
});

describe('stop()', () => {
  it('stops cleanly while a request hangs', async () => {
    const other = await startTestSimulator();
    other.sim.addFault({ endpoint: 'tokens', kind: 'hang' });
    const pending = call(other.url, '/api/v1/users/self/user_generated_tokens', {
      token: other.seeds().canvas.accessToken,
    });
    await waitForCalls(other.url, 'tokens', 1);
    await other.sim.stop();
    await expect(pending).rejects.toThrow();
  });
});
