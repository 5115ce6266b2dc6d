import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  call,
  control,
  decodeSegment,
  type FormInput,
  mintInstAccess,
  mintJwt,
  rawRequest,
  START,
  startTestSimulator,
  type TestSimulator,
  UA,
  unwrapJwt,
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

const jwts = (input: FormInput, as = token) => call(t.url, '/api/v1/jwts', { token: as, form: input });

const expectEncrypted = (wrapped: string) => {
  const compact = unwrapJwt(wrapped);
  const segments = compact.split('.');
  expect(segments).toHaveLength(5);
  expect(segments[1]).toBe('');
  expect(decodeSegment(segments[0] as string)).toEqual({ alg: 'dir', enc: 'A256GCM' });
};

/** Verifies a signed-only services JWT against the published JWKS, at the simulator's time. */
const verifySigned = async (wrapped: string) => {
  const compact = unwrapJwt(wrapped);
  expect(compact.split('.')).toHaveLength(3);
  const jwks = createLocalJWKSet(
    (await (await call(t.url, '/internal/services/jwks')).json()) as JSONWebKeySet,
  );
  const { payload, protectedHeader } = await jwtVerify(compact, jwks, {
    currentDate: new Date(t.clock.now()),
  });
  expect(protectedHeader.alg).toBe('RS256');
  return payload;
};

const host = () => new URL(t.url).host;

describe('POST /api/v1/jwts', () => {
  it('returns 200 with a Base64-wrapped dir/A256GCM JWE by default, different on every call', async () => {
    const res = await jwts({});
    expect(res.status).toBe(200);
    const { token: first } = (await res.json()) as { token: string };
    expect(first).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expectEncrypted(first);
    const second = await mintJwt(t.url, token);
    expect(second).not.toBe(first);
    expect(await t.sim.introspect(first)).toEqual({
      active: true,
      kind: 'canvas-jwt',
      iat: START / 1000,
      exp: START / 1000 + 3600,
    });
  });

  it('returns a JWS verifiable with the JWKS, carrying the documented claims, when canvas_audience=false', async () => {
    const wrapped = await mintJwt(t.url, token, { canvas_audience: 'false', 'workflows[]': 'ui' });
    const claims = await verifySigned(wrapped);
    const iat = START / 1000;
    expect(claims).toEqual({
      iss: 'Canvas',
      aud: ['Instructure'],
      sub: '10000000000001',
      domain: host(),
      iat,
      nbf: iat - 30,
      exp: iat + 3600,
      jti: expect.any(String),
      workflows: ['ui'],
      workflow_state: expect.any(Object),
      root_account_uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it.each(['true', 't', 'yes', 'y', 'on', '1', 'TRUE'])('encrypts when canvas_audience=%j', async (value) => {
    expectEncrypted(await mintJwt(t.url, token, { canvas_audience: value }));
  });

  it.each(['false', '', '0', 'no', 'f', 'nope', 'True '])(
    'signs only when canvas_audience=%j',
    async (value) => {
      const compact = unwrapJwt(await mintJwt(t.url, token, { canvas_audience: value }));
      expect(decodeProtectedHeader(compact).alg).toBe('RS256');
    },
  );

  it('takes JSON params as well as form params', async () => {
    const signed = await call(t.url, '/api/v1/jwts', { token, json: { canvas_audience: false } });
    expect(decodeProtectedHeader(unwrapJwt(((await signed.json()) as { token: string }).token)).alg).toBe(
      'RS256',
    );
    const res = await call(t.url, '/api/v1/jwts', {
      token,
      json: { workflows: ['rich_content'], context_type: 'Course', context_id: 1, canvas_audience: 'false' },
    });
    expect(res.status).toBe(200);
    const claims = await verifySigned(((await res.json()) as { token: string }).token);
    expect(claims).toMatchObject({ context_type: 'Course', context_id: '1', workflows: ['rich_content'] });
  });

  it('ignores context params silently when no workflow needs a context', async () => {
    const res = await jwts({
      'workflows[]': 'ui',
      context_type: 'Nonsense',
      context_id: '1',
      context_uuid: 'x',
    });
    expect(res.status).toBe(200);
    const claims = await verifySigned(
      await mintJwt(t.url, token, { canvas_audience: 'false', context_type: 'Course', context_id: '1' }),
    );
    expect(claims).not.toHaveProperty('context_type');
    expect(claims).not.toHaveProperty('context_id');
  });

  it('puts a context found case-insensitively, by id or uuid, into the claims with a string context_id', async () => {
    const byId = await verifySigned(
      await mintJwt(t.url, token, {
        'workflows[]': 'rich_content',
        context_type: 'cOuRsE',
        context_id: '2',
        canvas_audience: 'false',
      }),
    );
    expect(byId).toMatchObject({ context_type: 'Course', context_id: '2' });
    const byUuid = await verifySigned(
      await mintJwt(t.url, token, {
        'workflows[]': 'rich_content',
        context_type: 'account',
        context_uuid: byId.root_account_uuid as string,
        canvas_audience: 'false',
      }),
    );
    expect(byUuid).toMatchObject({ context_type: 'Account', context_id: '1' });
  });

  describe('runs every check in order, first failure wins', () => {
    const rich = { 'workflows[]': ['ui', 'rich_content'] };

    it('1. no credentials: 401 unauthenticated', async () => {
      const res = await call(t.url, '/api/v1/jwts', { form: { audience: 'nope', ...rich } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="canvas-lms"');
      expect(await res.json()).toEqual({
        status: 'unauthenticated',
        errors: [{ message: 'user authorization required' }],
      });
    });

    it('2. authenticated by a services JWT or an InstAccess token: 403', async () => {
      const jwt = await mintJwt(t.url, token);
      const instAccess = await mintInstAccess(t.url, token);
      for (const credential of [jwt, instAccess]) {
        const res = await jwts({ audience: 'not-allowed', ...rich }, credential);
        expect(res.status).toBe(403);
        expect(await res.json()).toEqual({ error: 'cannot generate a JWT when authorized by a JWT' });
      }
    });

    it('4. an audience the developer key does not allow: 400 invalid_target', async () => {
      const res = await jwts({ audience: 'instructure:sim-service someone-else', ...rich });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: 'invalid_target',
        error_description: 'The requested audience is not permitted for this client',
      });
    });

    it.each([
      [{}, 'Missing context_type parameter.'],
      [{ context_id: '1', context_uuid: 'u' }, 'Missing context_type parameter.'],
      [{ context_type: '' }, 'Missing context_type parameter.'],
      [{ context_type: 'Group' }, 'Missing context_id or context_uuid parameter.'],
      [{ context_type: 'Course', context_id: '' }, 'Missing context_id or context_uuid parameter.'],
      [
        { context_type: 'Group', context_id: '1', context_uuid: 'u' },
        'Should provide context_id or context_uuid parameters, but not both.',
      ],
      [{ context_type: 'Group', context_id: '999' }, 'Invalid context_type parameter.'],
    ])('5. context params %j: 400 %j', async (input, error) => {
      const res = await jwts({ ...rich, ...input });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error });
    });

    it('5. a context that does not exist: 404', async () => {
      const res = await jwts({ ...rich, context_type: 'Course', context_id: '999' });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ errors: [{ message: 'The specified resource does not exist.' }] });
    });

    it('5. a context the user cannot read: 403 unauthorized', async () => {
      for (const input of [
        { context_type: 'Course', context_id: '3' },
        { context_type: 'Account', context_id: '2' },
        { context_type: 'User', context_id: '3' },
      ]) {
        const res = await jwts({ ...rich, ...input });
        expect(res.status).toBe(403);
        expect(await res.json()).toEqual({
          status: 'unauthorized',
          errors: [{ message: 'user not authorized to perform that action' }],
        });
      }
    });
  });

  it('returns a JWS with that aud, whatever canvas_audience says, for allowed audiences', async () => {
    const claims = await verifySigned(
      await mintJwt(t.url, token, {
        audience: 'instructure:sim-service instructure:sim-analytics',
        canvas_audience: 'true',
      }),
    );
    expect(claims.aud).toEqual(['instructure:sim-service', 'instructure:sim-analytics']);
  });

  it('counts every call, failed ones included', async () => {
    await jwts({});
    await call(t.url, '/api/v1/jwts', { form: {} });
    expect(t.sim.stats().jwts).toBe(2);
  });
});

describe('POST /api/v1/jwts/refresh', () => {
  const refresh = (jwt: string | undefined, as = token) =>
    call(t.url, '/api/v1/jwts/refresh', { token: as, form: jwt === undefined ? {} : { jwt } });

  it('returns a new encrypted token for an encrypted one', async () => {
    const original = await mintJwt(t.url, token, { 'workflows[]': 'ui' });
    t.clock.advance(600_000);
    const res = await refresh(original);
    expect(res.status).toBe(200);
    const { token: renewed } = (await res.json()) as { token: string };
    expect(renewed).not.toBe(original);
    expectEncrypted(renewed);
    expect(await t.sim.introspect(renewed)).toMatchObject({ active: true, exp: START / 1000 + 600 + 3600 });
  });

  it('answers a missing jwt with 400 required', async () => {
    for (const res of [await refresh(undefined), await refresh('')]) {
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ errors: { jwt: 'required' } });
    }
  });

  it('answers an undecodable or signed-only token with 400 invalid refresh', async () => {
    const signed = await mintJwt(t.url, token, { canvas_audience: 'false' });
    const raw = unwrapJwt(await mintJwt(t.url, token));
    for (const jwt of ['garbage', signed, raw, token]) {
      const res = await refresh(jwt);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ errors: { jwt: 'invalid refresh' } });
    }
  });

  it('answers a refresh sent to another host with 400 invalid refresh', async () => {
    const original = await mintJwt(t.url, token);
    const res = await rawRequest(t.url, '/api/v1/jwts/refresh', {
      method: 'POST',
      headers: {
        ...UA,
        host: `localhost:${new URL(t.url).port}`,
        authorization: `Bearer ${token}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ jwt: original }).toString(),
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ errors: { jwt: 'invalid refresh' } });
  });

  it('works until exp + 6 h on the simulator clock, then answers invalid refresh', async () => {
    const original = await mintJwt(t.url, token);
    await control(t.url, 'clock', 'POST', { offsetSeconds: 3600 + 6 * 3600 - 1 });
    expect((await refresh(original)).status).toBe(200);
    await control(t.url, 'clock', 'POST', { offsetSeconds: 3600 + 6 * 3600 });
    const late = await refresh(original);
    expect(late.status).toBe(400);
    expect(await late.json()).toEqual({ errors: { jwt: 'invalid refresh' } });
  });

  it('applies the same auth rules as create', async () => {
    const original = await mintJwt(t.url, token);
    expect((await call(t.url, '/api/v1/jwts/refresh', { form: { jwt: original } })).status).toBe(401);
    const res = await refresh(original, original);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'cannot generate a JWT when authorized by a JWT' });
    expect(t.sim.stats()['jwts-refresh']).toBe(2);
  });
});
