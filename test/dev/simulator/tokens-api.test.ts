import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, type FormInput, START, startTestSimulator, type TestSimulator } from './sim-test-kit.ts';

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

interface TokenJson {
  id: number;
  visible_token: string;
  workflow_state: string;
  purpose: string;
  expires_at: string | null;
  scopes: string[];
  user_id: number;
}

const create = async (input: FormInput, user = 'self'): Promise<TokenJson> => {
  const res = await call(t.url, `/api/v1/users/${user}/tokens`, { token, form: input });
  expect(res.status).toBe(200);
  return (await res.json()) as TokenJson;
};

const usersSelf = (as: string) => call(t.url, '/api/v1/users/self', { token: as });

/** Follows `link` rel="next" from the first page, as a client must (URLs are opaque). */
const allPages = async (first: string): Promise<{ pages: TokenJson[][]; links: string[] }> => {
  const pages: TokenJson[][] = [];
  const links: string[] = [];
  let next: string | undefined = first;
  while (next && pages.length < 20) {
    const res = await fetch(next, { headers: { 'user-agent': 'tests', authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const link = res.headers.get('link') ?? '';
    links.push(link);
    pages.push((await res.json()) as TokenJson[]);
    next = /<([^>]+)>;\s*rel="next"/.exec(link)?.[1];
  }
  return { pages, links };
};

describe('Access Tokens API', () => {
  it('lists the seeded manual token with a masked visible_token and the documented fields', async () => {
    const res = await call(t.url, '/api/v1/users/self/user_generated_tokens', { token });
    expect(res.status).toBe(200);
    const [seed, ...others] = (await res.json()) as Array<Record<string, unknown>>;
    expect(others).toEqual([]);
    expect(seed).toEqual({
      id: 1,
      created_at: new Date(START).toISOString().replace('.000', ''),
      updated_at: expect.any(String),
      expires_at: null,
      last_used_at: expect.any(String),
      purpose: expect.any(String),
      real_user_id: null,
      remember_access: null,
      scopes: [],
      user_id: 1,
      workflow_state: 'active',
      app_name: 'User-Generated',
      can_manually_regenerate: true,
      visible_token: `${token.slice(0, 5)}...`,
    });
  });

  it('pages 10 at a time by default through opaque link URLs, in created order', async () => {
    for (let i = 0; i < 24; i += 1) {
      t.clock.advance(1000);
      await create({ 'token[purpose]': `p${i}` });
    }
    const { pages, links } = await allPages(`${t.url}/api/v1/users/self/user_generated_tokens`);
    expect(pages.map((page) => page.length)).toEqual([10, 10, 5]);
    expect(pages.flat().map((item) => item.id)).toEqual(
      Array.from({ length: 25 }, (_, i) => (i === 0 ? 1 : i + 2)),
    );
    expect(links[0]).toMatch(/rel="next"/);
    expect(links[0]).toMatch(/page=bookmark%3A/);
    expect(links[2]).not.toMatch(/rel="next"/);
  });

  it('honours per_page up to 100 and never puts access_token in links', async () => {
    for (let i = 0; i < 3; i += 1) await create({ 'token[purpose]': `p${i}` });
    const two = await call(
      t.url,
      `/api/v1/users/self/user_generated_tokens?per_page=2&access_token=${encodeURIComponent(token)}`,
    );
    expect(((await two.json()) as unknown[]).length).toBe(2);
    const link = two.headers.get('link') ?? '';
    expect(link).toContain('per_page=2');
    expect(link).not.toContain('access_token');
    const capped = await call(t.url, '/api/v1/users/self/user_generated_tokens?per_page=1000', { token });
    expect(capped.headers.get('link')).toContain('per_page=100');
  });

  it('creates a usable token with 200 (not 201), showing the full secret only in that response', async () => {
    const created = await create({
      'token[purpose]': 'broker rotation',
      'token[expires_at]': '2031-01-01T00:00:00Z',
      'token[scopes][]': ['url:GET|/api/v1/users/:id'],
    });
    expect(created).toMatchObject({
      purpose: 'broker rotation',
      expires_at: '2031-01-01T00:00:00Z',
      scopes: ['url:GET|/api/v1/users/:id'],
      workflow_state: 'active',
      user_id: 1,
    });
    expect(created.visible_token).toMatch(/^1~[A-Za-z0-9]{64}$/);
    expect((await usersSelf(created.visible_token)).status).toBe(200);
    const shown = await call(t.url, `/api/v1/users/self/tokens/${created.id}`, { token });
    expect(((await shown.json()) as TokenJson).visible_token).toBe(`${created.visible_token.slice(0, 5)}...`);
  });

  it('takes a JSON token object as well as form params', async () => {
    const res = await call(t.url, '/api/v1/users/self/tokens', {
      token,
      json: { token: { purpose: 'json' } },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as TokenJson).purpose).toBe('json');
  });

  it('answers a create without purpose with a bare array, and one without a token object with the errors envelope', async () => {
    const noPurpose = await call(t.url, '/api/v1/users/self/tokens', {
      token,
      form: { 'token[expires_at]': '' },
    });
    expect(noPurpose.status).toBe(400);
    expect(await noPurpose.json()).toEqual([{ message: 'token[purpose] is missing' }]);
    for (const body of [{ form: { other: '1' } }, { json: { token: {} } }, { json: { token: 'x' } }]) {
      const res = await call(t.url, '/api/v1/users/self/tokens', { token, ...body });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ errors: [{ message: 'token is missing' }] });
    }
  });

  it('finds a token by its 5-character hint, then by database id', async () => {
    const created = await create({ 'token[purpose]': 'hinted' });
    const hint = created.visible_token.slice(0, 5);
    const byHint = await call(t.url, `/api/v1/users/self/tokens/${encodeURIComponent(hint)}`, { token });
    expect(byHint.status).toBe(200);
    expect(((await byHint.json()) as TokenJson).id).toBe(created.id);
    const byId = await call(t.url, `/api/v1/users/1/tokens/${created.id}`, { token });
    expect(((await byId.json()) as TokenJson).purpose).toBe('hinted');
    expect((await call(t.url, '/api/v1/users/self/tokens/99999', { token })).status).toBe(404);
  });

  it("answers another user's token with 404", async () => {
    const res = await call(t.url, '/api/v1/users/self/tokens/2', { token });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ errors: [{ message: 'The specified resource does not exist.' }] });
  });

  it('creates a pending, unusable token for another user of an administered account, and refuses other institutions', async () => {
    const pending = await create({ 'token[purpose]': 'for sam' }, '2');
    expect(pending).toMatchObject({ workflow_state: 'pending', user_id: 2 });
    expect((await usersSelf(pending.visible_token)).status).toBe(401);
    const foreign = await call(t.url, '/api/v1/users/3/tokens', { token, form: { 'token[purpose]': 'x' } });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toEqual({
      status: 'unauthorized',
      errors: [{ message: 'user not authorized to perform that action' }],
    });
    expect(
      (await call(t.url, '/api/v1/users/999/tokens', { token, form: { 'token[purpose]': 'x' } })).status,
    ).toBe(404);
  });

  it('updates purpose and expiry without revealing the secret', async () => {
    const created = await create({ 'token[purpose]': 'before' });
    const res = await call(t.url, `/api/v1/users/self/tokens/${created.id}`, {
      method: 'PUT',
      token,
      form: { 'token[purpose]': 'after', 'token[expires_at]': '2032-02-02T00:00:00Z' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      purpose: 'after',
      expires_at: '2032-02-02T00:00:00Z',
      visible_token: `${created.visible_token.slice(0, 5)}...`,
    });
  });

  it('regenerates a token: the new secret is shown once and the old one is rejected at once', async () => {
    const res = await call(t.url, '/api/v1/users/self/tokens/1', {
      method: 'PUT',
      token,
      form: { 'token[regenerate]': 'true' },
    });
    expect(res.status).toBe(200);
    const regenerated = (await res.json()) as TokenJson;
    expect(regenerated.visible_token).toMatch(/^1~[A-Za-z0-9]{64}$/);
    expect(regenerated.visible_token).not.toBe(token);
    const old = await usersSelf(token);
    expect(old.status).toBe(401);
    expect(old.headers.get('www-authenticate')).toBe('Bearer realm="canvas-lms"');
    expect((await usersSelf(regenerated.visible_token)).status).toBe(200);
  });

  it('refuses to regenerate an expired token without a new expiry, and accepts one with it', async () => {
    const created = await create({
      'token[purpose]': 'expiring',
      'token[expires_at]': new Date(START + 60_000).toISOString(),
    });
    t.clock.advance(120_000);
    const refused = await call(t.url, `/api/v1/users/self/tokens/${created.id}`, {
      method: 'PUT',
      token,
      form: { 'token[regenerate]': '1' },
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      errors: { message: 'cannot regenerate an expired token without a new expiration date' },
    });
    const accepted = await call(t.url, `/api/v1/users/self/tokens/${created.id}`, {
      method: 'PUT',
      token,
      json: { token: { regenerate: true, expires_at: '2031-01-01T00:00:00Z' } },
    });
    expect(accepted.status).toBe(200);
    expect((await usersSelf(((await accepted.json()) as TokenJson).visible_token)).status).toBe(200);
  });

  it('soft-deletes a token: 200 with workflow_state deleted, then it no longer authenticates or shows', async () => {
    const created = await create({ 'token[purpose]': 'doomed' });
    const res = await call(t.url, `/api/v1/users/self/tokens/${created.id}`, { method: 'DELETE', token });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: created.id, workflow_state: 'deleted' });
    expect((await usersSelf(created.visible_token)).status).toBe(401);
    expect((await call(t.url, `/api/v1/users/self/tokens/${created.id}`, { token })).status).toBe(404);
    const list = (await (
      await call(t.url, '/api/v1/users/self/user_generated_tokens', { token })
    ).json()) as TokenJson[];
    expect(list.map((item) => item.id)).toEqual([1]);
  });

  it('counts every Tokens API call under one endpoint name', async () => {
    await call(t.url, '/api/v1/users/self/user_generated_tokens', { token });
    await call(t.url, '/api/v1/users/self/tokens/1', { token });
    await call(t.url, '/api/v1/users/self/tokens', { form: {} });
    expect(t.sim.stats().tokens).toBe(3);
  });
});
