import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  call,
  mintInstAccess,
  mintJwt,
  START,
  startTestSimulator,
  type TestSimulator,
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

describe('POST /api/v1/inst_access_tokens', () => {
  it('answers 201 with a raw compact RSA-OAEP / A128CBC-HS256 JWE, different on every call', async () => {
    const res = await call(t.url, '/api/v1/inst_access_tokens', { method: 'POST', token });
    expect(res.status).toBe(201);
    const { token: first } = (await res.json()) as { token: string };
    expect(first.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(first)).toEqual({ alg: 'RSA-OAEP', enc: 'A128CBC-HS256' });
    expect(await t.sim.introspect(first)).toEqual({
      active: true,
      kind: 'inst-access',
      iat: START / 1000,
      exp: START / 1000 + 3600,
    });
    expect(await mintInstAccess(t.url, token)).not.toBe(first);
  });

  it('charges 200 extra throttle units', async () => {
    const res = await call(t.url, '/api/v1/inst_access_tokens', { method: 'POST', token });
    expect(res.headers.get('x-request-cost')).toBe('200.05');
    expect(res.headers.get('x-rate-limit-remaining')).toBe('399.95');
  });

  it('refuses to mint when authenticated by a services JWT or an InstAccess token', async () => {
    for (const credential of [await mintJwt(t.url, token), await mintInstAccess(t.url, token)]) {
      const res = await call(t.url, '/api/v1/inst_access_tokens', { method: 'POST', token: credential });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: 'cannot generate a JWT when authorized by a JWT' });
    }
  });

  it('requires authentication', async () => {
    const res = await call(t.url, '/api/v1/inst_access_tokens', { method: 'POST' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="canvas-lms"');
  });

  it('expires an hour after issue on the simulator clock', async () => {
    const instAccess = await mintInstAccess(t.url, token);
    t.clock.advance(3600_000);
    expect(await t.sim.introspect(instAccess)).toMatchObject({ active: false, kind: 'inst-access' });
  });
});
