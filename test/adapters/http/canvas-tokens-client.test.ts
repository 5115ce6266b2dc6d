import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeCanvasTokensClient } from '../../../shared/adapters/http/canvas-tokens-client.ts';
import { captureError, expectNoSecrets } from './support/capture-error.ts';
import { makeSteppingClock } from './support/stepping-clock.ts';
import { reply, type StubServer, startStubServer } from './support/stub-server.ts';

const ACCESS_TOKEN = '1~rotationCanaryAccessToken0123456789abcdefghijkl';
const NEW_SECRET = '1~freshlyCreatedSecretCanary0123456789abcdefghijk';

let server: StubServer;
beforeAll(async () => {
  server = await startStubServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
});

const client = (maxPages?: number) =>
  makeCanvasTokensClient({
    baseUrl: server.url,
    clock: makeSteppingClock(0),
    timeoutMs: 5_000,
    userAgent: 'canvas-credential-broker/test',
    ...(maxPages === undefined ? {} : { maxPages }),
  });

const tokenJson = (id: number, extra: Record<string, unknown> = {}) => ({
  id,
  created_at: '2031-01-01T00:00:00Z',
  updated_at: '2031-01-02T00:00:00Z',
  expires_at: null,
  last_used_at: null,
  purpose: `token ${id}`,
  real_user_id: null,
  remember_access: null,
  scopes: [],
  user_id: 7,
  workflow_state: 'active',
  app_name: 'User Generated',
  can_manually_regenerate: true,
  visible_token: `${id}abcd...`.slice(-8),
  ...extra,
});

const form = (index = 0) => new URLSearchParams(server.requests[index]?.body ?? '');

describe('Canvas token list', () => {
  it('follows link rel=next across pages with the same bearer token', async () => {
    server.handle((request, response) => {
      const page = new URL(request.url, server.url).searchParams.get('page') ?? '1';
      const next =
        page === '1'
          ? `<${server.url}/api/v1/users/self/user_generated_tokens?page=2&per_page=100>; rel="next", `
          : '';
      response.writeHead(200, {
        'content-type': 'application/json',
        link: `${next}<${server.url}/api/v1/users/self/user_generated_tokens?page=1&per_page=100>; rel="first"`,
      });
      response.end(JSON.stringify(page === '1' ? [tokenJson(1), tokenJson(2)] : [tokenJson(3)]));
    });
    const tokens = await client().list(ACCESS_TOKEN, 'self');
    expect(tokens.map((t) => t.id)).toEqual(['1', '2', '3']);
    expect(server.requests.map((r) => r.url)).toEqual([
      '/api/v1/users/self/user_generated_tokens?per_page=100',
      '/api/v1/users/self/user_generated_tokens?page=2&per_page=100',
    ]);
    expect(server.requests.every((r) => r.headers.authorization === `Bearer ${ACCESS_TOKEN}`)).toBe(true);
  });

  it('types each token and never surfaces a secret from a list', async () => {
    server.handle(
      reply(200, [tokenJson(12, { visible_token: 'abcde...', expires_at: '2031-06-01T00:00:00Z' })]),
    );
    const [token] = await client().list(ACCESS_TOKEN, 7);
    expect(token).toEqual({
      id: '12',
      userId: '7',
      realUserId: null,
      purpose: 'token 12',
      workflowState: 'active',
      createdAt: '2031-01-01T00:00:00Z',
      updatedAt: '2031-01-02T00:00:00Z',
      expiresAt: '2031-06-01T00:00:00Z',
      lastUsedAt: null,
      scopes: [],
      appName: 'User Generated',
      canManuallyRegenerate: true,
      tokenHint: 'abcde',
    });
    expect(token?.secret).toBeUndefined();
    expect(server.requests[0]?.url).toBe('/api/v1/users/7/user_generated_tokens?per_page=100');
  });

  it('refuses a next link to another origin, which would receive the bearer token', async () => {
    server.handle(
      reply(200, [], {
        link: '<https://evil.example/api/v1/users/self/user_generated_tokens?page=2>; rel="next"',
      }),
    );
    const error = await captureError(client().list(ACCESS_TOKEN, 'self'));
    expect(error.code).toBe('UPSTREAM_MALFORMED');
    expect(server.requests).toHaveLength(1);
  });

  it('stops at the page bound and on a link that loops', async () => {
    let page = 0;
    server.handle((_request, response) => {
      page++;
      response.writeHead(200, {
        'content-type': 'application/json',
        link: `<${server.url}/p?page=${page + 1}>; rel="next"`,
      });
      response.end('[]');
    });
    expect((await captureError(client(3).list(ACCESS_TOKEN, 'self'))).code).toBe('UPSTREAM_MALFORMED');
    expect(server.requests).toHaveLength(3);

    server.requests.length = 0;
    server.handle(
      reply(200, [], {
        link: `<${server.url}/api/v1/users/self/user_generated_tokens?per_page=100>; rel="next"`,
      }),
    );
    expect((await captureError(client().list(ACCESS_TOKEN, 'self'))).code).toBe('UPSTREAM_MALFORMED');
    expect(server.requests).toHaveLength(1);
  });

  it('reports a body that is not an array, or a token without an id, as malformed', async () => {
    for (const body of [
      { errors: [] },
      [{ workflow_state: 'active' }],
      [tokenJson(1, { workflow_state: undefined })],
      '<html>',
    ]) {
      server.handle(reply(200, body));
      expect((await captureError(client().list(ACCESS_TOKEN, 'self'))).code).toBe('UPSTREAM_MALFORMED');
    }
  });
});

describe('Canvas token show, create, update and delete', () => {
  it('shows a token by id or 5-character hint', async () => {
    server.handle(reply(200, tokenJson(5)));
    expect((await client().show(ACCESS_TOKEN, 'self', 'abcde')).id).toBe('5');
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/api/v1/users/self/tokens/abcde' });
  });

  it('creates a token with purpose, expiry and scopes, and returns its secret (200 from Canvas)', async () => {
    server.handle(reply(200, tokenJson(9, { visible_token: NEW_SECRET })));
    const created = await client().create(ACCESS_TOKEN, 'self', {
      purpose: 'broker rotation',
      expiresAt: new Date('2031-03-01T00:00:00Z'),
      scopes: ['url:POST|/api/v1/jwts', 'url:POST|/api/v1/inst_access_tokens'],
    });
    expect(created.secret).toBe(NEW_SECRET);
    expect(created.tokenHint).toBe(NEW_SECRET.slice(0, 5));
    expect(server.requests[0]).toMatchObject({ method: 'POST', url: '/api/v1/users/self/tokens' });
    expect(form().get('token[purpose]')).toBe('broker rotation');
    expect(form().get('token[expires_at]')).toBe('2031-03-01T00:00:00.000Z');
    expect(form().getAll('token[scopes][]')).toEqual([
      'url:POST|/api/v1/jwts',
      'url:POST|/api/v1/inst_access_tokens',
    ]);
  });

  it('keeps the secret out of serialization and inspection of the record', async () => {
    server.handle(reply(200, tokenJson(9, { visible_token: NEW_SECRET })));
    const created = await client().create(ACCESS_TOKEN, 'self', { purpose: 'p' });
    expect(JSON.stringify(created)).not.toContain(NEW_SECRET);
    expect(Object.keys(created)).not.toContain('secret');
  });

  it('accepts the documented token and token_hint spellings', async () => {
    server.handle(
      reply(201, tokenJson(9, { visible_token: undefined, token: NEW_SECRET, token_hint: 'zyxwv' })),
    );
    const created = await client().create(ACCESS_TOKEN, 7, { purpose: 'p' });
    expect(created).toMatchObject({ secret: NEW_SECRET, tokenHint: 'zyxwv' });
  });

  it('reports a created token without a secret as malformed', async () => {
    server.handle(reply(200, tokenJson(9)));
    expect((await captureError(client().create(ACCESS_TOKEN, 'self', { purpose: 'p' }))).code).toBe(
      'UPSTREAM_MALFORMED',
    );
  });

  it('regenerates with a new expiry and returns the new secret', async () => {
    server.handle(reply(200, tokenJson(9, { visible_token: NEW_SECRET })));
    const updated = await client().update(ACCESS_TOKEN, 'self', '9', {
      regenerate: true,
      expiresAt: '2031-04-01T00:00:00Z',
    });
    expect(updated.secret).toBe(NEW_SECRET);
    expect(server.requests[0]).toMatchObject({ method: 'PUT', url: '/api/v1/users/self/tokens/9' });
    expect(form().get('token[regenerate]')).toBe('true');
    expect(form().get('token[expires_at]')).toBe('2031-04-01T00:00:00Z');
  });

  it('updates purpose, clears an expiry, and exposes no secret without regenerate', async () => {
    server.handle(reply(200, tokenJson(9)));
    const updated = await client().update(ACCESS_TOKEN, 'self', '9', { purpose: 'renamed', expiresAt: null });
    expect(updated.secret).toBeUndefined();
    expect(form().get('token[purpose]')).toBe('renamed');
    expect(form().get('token[expires_at]')).toBe('');
    expect(form().has('token[regenerate]')).toBe(false);
  });

  it('deletes softly and returns the deleted token', async () => {
    server.handle(reply(200, tokenJson(9, { workflow_state: 'deleted' })));
    const removed = await client().remove(ACCESS_TOKEN, 'self', 'abcde');
    expect(removed.workflowState).toBe('deleted');
    expect(server.requests[0]).toMatchObject({ method: 'DELETE', url: '/api/v1/users/self/tokens/abcde' });
  });

  it('escapes path segments', async () => {
    server.handle(reply(200, tokenJson(1)));
    await client().show(ACCESS_TOKEN, 'a/b', '../x');
    expect(server.requests[0]?.url).toBe('/api/v1/users/a%2Fb/tokens/..%2Fx');
  });
});

describe('Canvas token failures (contract section 5)', () => {
  const cases: [string, number, unknown, Record<string, string>, string][] = [
    ['missing purpose (bare array)', 400, [{ message: 'token[purpose] is missing' }], {}, 'UPSTREAM_FATAL'],
    ['missing token object', 400, { errors: [{ message: 'token is missing' }] }, {}, 'UPSTREAM_FATAL'],
    [
      'regenerate expired without expiry',
      400,
      { errors: { message: 'cannot regenerate an expired token without a new expiration date' } },
      {},
      'UPSTREAM_FATAL',
    ],
    [
      "another user's token",
      404,
      { errors: [{ message: 'The specified resource does not exist.' }] },
      {},
      'UPSTREAM_FATAL',
    ],
    [
      'personal tokens forbidden',
      403,
      { status: 'unauthorized', errors: [{ message: 'user not authorized to perform that action' }] },
      {},
      'UPSTREAM_FATAL',
    ],
    [
      'revoked access token',
      401,
      { errors: [{ message: 'Revoked access token.' }] },
      { 'WWW-Authenticate': 'Bearer realm="canvas-lms"' },
      'UPSTREAM_CREDENTIALS_REJECTED',
    ],
    ['throttled', 403, '403 Forbidden (Rate Limit Exceeded)\n', {}, 'UPSTREAM_RETRYABLE'],
  ];

  it.each(cases)('classifies %s', async (_name, status, body, headers, code) => {
    server.handle(reply(status, body, headers));
    const error = await captureError(client().create(ACCESS_TOKEN, 'self', { purpose: 'p' }));
    expect(error).toMatchObject({ code, upstreamStatus: status });
    expectNoSecrets(error, [ACCESS_TOKEN]);
  });

  it('quotes the validation message from any body shape', async () => {
    server.handle(reply(400, [{ message: 'token[purpose] is missing' }]));
    const error = await captureError(client().create(ACCESS_TOKEN, 'self', { purpose: '' }));
    expect(error.message).toBe('Canvas token create failed: HTTP 400: token[purpose] is missing');
  });
});
