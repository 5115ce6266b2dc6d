import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  call,
  control,
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
const deploy = async (body: unknown) => control(t.url, 'deployment', 'POST', body);
const createToken = (form: Record<string, string> = {}) =>
  call(t.url, '/api/v1/users/self/tokens', { token, form: { 'token[purpose]': 'test', ...form } });
const routes = async () =>
  ((await (await control(t.url, 'stats', 'GET')).json()) as { routes: Record<string, number> }).routes;
/** A services JWT from another Canvas: well formed, but encrypted under a key this one lacks. */
const foreignJwt = (): string => {
  const b64 = (value: string) => Buffer.from(value).toString('base64url');
  const compact = [b64('{"alg":"dir","enc":"A256GCM"}'), '', b64('iv-iv-iv-iv'), b64('cipher'), b64('tag')];
  return Buffer.from(compact.join('.')).toString('base64');
};

describe('per-route fault slots', () => {
  it('fails token delete while token create on the same resource still works', async () => {
    await addFault({ endpoint: 'tokens-delete', kind: 'status', status: 500 });
    const created = await createToken();
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: number };
    const deleted = await call(t.url, `/api/v1/users/self/tokens/${id}`, { token, method: 'DELETE' });
    expect(deleted.status).toBe(500);
    expect(await routes()).toMatchObject({ 'tokens-create': 1, 'tokens-delete': 1 });
    expect(t.sim.stats().tokens).toBe(2);
  });

  it('still lets the group name fault every token route, as before', async () => {
    await addFault({ endpoint: 'tokens', kind: 'status', status: 503, times: 2 });
    expect((await createToken()).status).toBe(503);
    expect((await call(t.url, '/api/v1/users/self/user_generated_tokens', { token })).status).toBe(503);
    expect((await createToken()).status).toBe(200);
  });

  it('has a fault name for GET /api/v1/users/self', async () => {
    await addFault({ endpoint: 'users-show', kind: 'status', status: 401, times: 1 });
    const res = await call(t.url, '/api/v1/users/self', { token });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="canvas-lms"');
    expect((await call(t.url, '/api/v1/users/self', { token })).status).toBe(200);
    expect((await routes())['users-show']).toBe(2);
  });

  it('refuses a fault for a route that does not exist', async () => {
    const res = await control(t.url, 'faults', 'POST', { endpoint: 'tokens-destroy', kind: 'reset' });
    expect(res.status).toBe(400);
  });
});

describe('transport faults', () => {
  it('resets the connection before the request reaches Canvas: no answer, nothing counted', async () => {
    await addFault({ endpoint: 'jwts', kind: 'reset', times: 1 });
    const error = await call(t.url, '/api/v1/jwts', { token, form: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(t.sim.stats().jwts).toBe(0);
    expect((await call(t.url, '/api/v1/jwts', { token, form: {} })).status).toBe(200);
    expect(t.sim.stats().jwts).toBe(1);
  });

  it('truncates the body after the mint: the mint counts, the body cannot be read', async () => {
    await addFault({ endpoint: 'jwts', kind: 'truncated', times: 1 });
    const res = await call(t.url, '/api/v1/jwts', { token, form: {} });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(t.sim.stats().jwts).toBe(1);
  });

  it('sends the HTML 502 page of a proxy in front of Canvas', async () => {
    await addFault({ endpoint: 'inst-access', kind: 'proxy-502', times: 1 });
    const res = await call(t.url, '/api/v1/inst_access_tokens', { token, method: 'POST' });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(await res.text()).toContain('<h1>502 Bad Gateway</h1>');
  });

  it('sends Retry-After as an HTTP date on the simulator clock when asked', async () => {
    await addFault({
      endpoint: 'jwts',
      kind: 'status',
      status: 503,
      retryAfter: 120,
      retryAfterFormat: 'http-date',
      times: 1,
    });
    const res = await call(t.url, '/api/v1/jwts', { token, form: {} });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe(new Date(START + 120_000).toUTCString());
  });

  it('mints first and answers late: the mint is counted while the answer is still held', async () => {
    await addFault({ endpoint: 'jwts', kind: 'late', delayMs: 600_000, times: 1 });
    const abort = new AbortController();
    let settled = false;
    const pending = call(t.url, '/api/v1/jwts', { token, form: {}, signal: abort.signal })
      .catch((e: unknown) => e)
      .finally(() => {
        settled = true;
      });
    await waitForCalls(t.url, 'jwts', 1);
    // The handler ran (the mint is done, as the stats say) but the answer is held for 10 minutes.
    expect(settled).toBe(false);
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('deployment switches', () => {
  it('answers a refresh of a well-formed foreign token with 500 when the switch is on, 400 by default', async () => {
    const refresh = () => call(t.url, '/api/v1/jwts/refresh', { token, form: { jwt: foreignJwt() } });
    expect((await refresh()).status).toBe(400);
    expect((await deploy({ refreshUndecryptableAnswers500: true })).status).toBe(200);
    const res = await refresh();
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      errors: [{ message: 'An error occurred.', error_code: expect.any(String) }],
    });
    // Its own tokens still refresh, and garbage is still `invalid refresh`.
    const own = await mintJwt(t.url, token);
    expect((await call(t.url, '/api/v1/jwts/refresh', { token, form: { jwt: own } })).status).toBe(200);
    expect((await call(t.url, '/api/v1/jwts/refresh', { token, form: { jwt: 'garbage' } })).status).toBe(400);
  });

  it('answers every InstAccess mint with 500 when InstAccess is unconfigured, and charges it', async () => {
    await deploy({ instAccessConfigured: false });
    for (let i = 0; i < 2; i += 1) {
      const res = await call(t.url, '/api/v1/inst_access_tokens', { token, method: 'POST' });
      expect(res.status).toBe(500);
      expect(Number(res.headers.get('x-request-cost'))).toBeGreaterThan(200);
    }
  });

  it('clamps a new token’s expires_at to the policy cap and says so in the answer', async () => {
    await deploy({ tokenMaxLifetimeSeconds: 7 * 86_400 });
    const cap = new Date(START + 7 * 86_400_000).toISOString().replace('.000Z', 'Z');
    const far = await createToken({ 'token[expires_at]': '2031-01-01T00:00:00Z' });
    expect(((await far.json()) as { expires_at: string }).expires_at).toBe(cap);
    const none = await createToken();
    expect(((await none.json()) as { expires_at: string }).expires_at).toBe(cap);
    const near = await createToken({ 'token[expires_at]': '2030-01-16T12:00:00Z' });
    expect(((await near.json()) as { expires_at: string }).expires_at).toBe('2030-01-16T12:00:00Z');
  });

  it('refuses token creation with the unauthorized envelope and creates nothing', async () => {
    await deploy({ tokenCreationRefusedStatus: 403 });
    const res = await createToken();
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      status: 'unauthorized',
      errors: [{ message: 'user not authorized to perform that action' }],
    });
    await deploy({ tokenCreationRefusedStatus: 401 });
    expect((await createToken()).status).toBe(401);
    const list = await call(t.url, '/api/v1/users/self/user_generated_tokens', { token });
    expect(((await list.json()) as unknown[]).length).toBe(1);
  });

  it('hides pending tokens from delete and show when the switch is on', async () => {
    const planted = await control(t.url, 'access-tokens', 'POST', {
      purpose: 'left behind',
      workflowState: 'pending',
    });
    const { id } = (await planted.json()) as { id: number };
    await deploy({ pendingTokensHidden: true });
    const path = `/api/v1/users/self/tokens/${id}`;
    expect((await call(t.url, path, { token, method: 'DELETE' })).status).toBe(404);
    expect((await call(t.url, path, { token })).status).toBe(404);
    await deploy({ pendingTokensHidden: false });
    expect((await call(t.url, path, { token, method: 'DELETE' })).status).toBe(200);
  });

  it('reports the switches, refuses unknown ones, and goes back to the start values on reset', async () => {
    expect((await deploy({ colour: 'red' })).status).toBe(400);
    expect((await deploy({ tokenMaxLifetimeSeconds: 0 })).status).toBe(400);
    await deploy({ instAccessConfigured: false });
    t.reset();
    expect(await (await control(t.url, 'deployment', 'GET')).json()).toEqual({
      refreshUndecryptableAnswers500: false,
      instAccessConfigured: true,
      tokenMaxLifetimeSeconds: null,
      tokenCreationRefusedStatus: null,
      pendingTokensHidden: false,
    });
  });
});

describe('planted tokens', () => {
  it('can share another token’s 5-character hint', async () => {
    const res = await control(t.url, 'access-tokens', 'POST', { purpose: 'twin', sameHintAs: token });
    const planted = (await res.json()) as { token: string };
    expect(planted.token.slice(0, 5)).toBe(token.slice(0, 5));
    expect(planted.token).not.toBe(token);
  });
});
