import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, InternalError } from '../../shared/core/errors.ts';
import { makeLtiAssertionClaims } from '../../shared/core/lti-assertion-claims.ts';
import { makeFakeClock } from '../support/fake-clock.ts';

const request = { clientId: '10000000000042', audience: 'https://canvas.example.edu/login/oauth2/token' };

describe('the LTI assertion claims', () => {
  it('names the client id as iss and sub, and the token endpoint as aud', () => {
    const claims = makeLtiAssertionClaims({ clock: makeFakeClock() })(request);
    expect(claims.iss).toBe(request.clientId);
    expect(claims.sub).toBe(request.clientId);
    expect(claims.aud).toBe(request.audience);
  });

  it('stamps iat from the injected clock in whole seconds and exp five minutes later by default', () => {
    const clock = makeFakeClock(Date.UTC(2026, 0, 1, 12, 0, 0, 750));
    const claims = makeLtiAssertionClaims({ clock })(request);
    expect(claims.iat).toBe(Date.UTC(2026, 0, 1, 12) / 1000);
    expect(claims.exp - claims.iat).toBe(300);
  });

  it('takes a shorter lifetime, never a longer one than Canvas tolerates for iat', () => {
    const clock = makeFakeClock();
    const claims = makeLtiAssertionClaims({ clock, lifetimeSeconds: 60 })(request);
    expect(claims.exp - claims.iat).toBe(60);
    for (const lifetimeSeconds of [0, 301, 1.5, Number.NaN]) {
      expect(() => makeLtiAssertionClaims({ clock, lifetimeSeconds })).toThrow(ConfigInvalidError);
    }
  });

  it('gives every assertion its own random UUID jti', () => {
    const build = makeLtiAssertionClaims({ clock: makeFakeClock() });
    const ids = new Set(Array.from({ length: 2000 }, () => build(request).jti));
    expect(ids.size).toBe(2000);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('refuses to hand out a jti twice, even when the generator repeats itself', () => {
    const build = makeLtiAssertionClaims({ clock: makeFakeClock(), newJti: () => 'always-the-same' });
    build(request);
    expect(() => build(request)).toThrow(InternalError);
  });

  it('forgets ids only after their assertion expired', () => {
    const clock = makeFakeClock();
    const ids = ['a', 'a', 'a'];
    const build = makeLtiAssertionClaims({ clock, lifetimeSeconds: 60, newJti: () => ids.shift() ?? 'x' });
    build(request);
    clock.advance(60_000);
    expect(() => build(request)).toThrow(InternalError);
    clock.advance(1_000);
    expect(build(request).jti).toBe('a');
  });

  it('requires a client id and an audience', () => {
    const build = makeLtiAssertionClaims({ clock: makeFakeClock() });
    expect(() => build({ ...request, clientId: '' })).toThrow(ConfigInvalidError);
    expect(() => build({ ...request, audience: '' })).toThrow(ConfigInvalidError);
  });
});
