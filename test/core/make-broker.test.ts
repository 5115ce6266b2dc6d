import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/core/broker-settings.ts';
import {
  CredentialsRejectedError,
  PolicyDeniedError,
  RefreshRejectedError,
  UpstreamRetryableError,
} from '../../shared/core/errors.ts';
import { fingerprint } from '../../shared/core/fingerprint.ts';
import { makeBroker } from '../../shared/core/make-broker.ts';
import { makeMemoryTokenStore } from '../doubles/memory-token-store.ts';
import { ADMIN, ALICE, DAP, JWT, MALLORY, makeInstance, POLICY } from '../support/core-harness.ts';
import { makeFakeCipher } from '../support/fake-cipher.ts';
import { makeFakeClock, skewed } from '../support/fake-clock.ts';
import { makeFakeSecrets } from '../support/fake-secrets.ts';
import { makeFakeUpstream } from '../support/fake-upstream.ts';

const MIN = 60_000;
const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

const setup = () => {
  const clock = makeFakeClock();
  const upstream = makeFakeUpstream(clock);
  const instance = makeInstance({ clock, upstream });
  return { clock, upstream, ...instance };
};

describe('getToken', () => {
  it('mints once and then serves the same token from memory', async () => {
    const { broker, upstream } = setup();
    const first = await broker.getToken(ALICE, { credentialId: 'dap' });
    const second = await broker.getToken(ALICE, { credentialId: 'dap' });
    expect(first.tier).toBe('upstream');
    expect(second.tier).toBe('memory');
    expect(second.token).toBe(first.token);
    expect(upstream.calls.mint).toBe(1);
    expect(first.fingerprint).toBe(fingerprint(first.token));
    expect(first.tokenType).toBe('Bearer');
  });

  it('promises only the life left after the clock uncertainty (assumed: the tolerance)', async () => {
    const { broker } = setup();
    const served = await broker.getToken(ALICE, { credentialId: 'dap' });
    expect(served.expiresIn).toBe(3600 - Math.ceil(DEFAULT_SETTINGS.clockSkewToleranceMs / 1000));
  });

  it('shares one mint among 200 concurrent callers of one instance', async () => {
    const { broker, upstream } = setup();
    const results = await Promise.all(
      Array.from({ length: 200 }, () => broker.getToken(ALICE, { credentialId: 'dap' })),
    );
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect(upstream.calls.mint).toBe(1);
  });

  it('serves another instance the shared token from the table without minting', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock);
    const store = makeMemoryTokenStore();
    const a = makeInstance({ clock, upstream, store, instanceId: 'a' });
    const b = makeInstance({ clock, upstream, store, instanceId: 'b' });
    const minted = await a.broker.getToken(ALICE, { credentialId: 'dap' });
    const shared = await b.broker.getToken(ALICE, { credentialId: 'dap' });
    expect(shared.tier).toBe('table');
    expect(shared.token).toBe(minted.token);
    expect(upstream.calls.mint).toBe(1);
  });

  it('gives unknown and forbidden credentials the same answer without any store or upstream call', async () => {
    const { broker, upstream, store } = setup();
    const unknown = await broker.getToken(ALICE, { credentialId: 'nope' }).catch((e: unknown) => e);
    const forbidden = await broker.getToken(MALLORY, { credentialId: 'dap' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(PolicyDeniedError);
    expect(forbidden).toBeInstanceOf(PolicyDeniedError);
    expect((unknown as Error).message).toBe((forbidden as Error).message);
    expect(upstream.calls.mint).toBe(0);
    expect(await store.list('dap')).toEqual([]);
  });

  it('rejects a minTtlSeconds no fresh token can give, before minting', async () => {
    const { broker, upstream } = setup();
    await expect(broker.getToken(ALICE, { credentialId: 'dap', minTtlSeconds: 3590 })).rejects.toMatchObject({
      code: 'MIN_TTL_UNSATISFIABLE',
    });
    await expect(broker.getToken(ALICE, { credentialId: 'dap', minTtlSeconds: -1 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(broker.getToken(ALICE, { credentialId: 'dap', minTtlSeconds: 1.5 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(upstream.calls.mint).toBe(0);
  });

  it('never mints in a loop when upstream issues tokens shorter than minTtlSeconds', async () => {
    const { broker, upstream } = setup();
    upstream.lifetimeMs = 10 * MIN;
    await expect(broker.getToken(ALICE, { credentialId: 'dap', minTtlSeconds: 1800 })).rejects.toMatchObject({
      code: 'MIN_TTL_UNSATISFIABLE',
    });
    expect(upstream.calls.mint).toBe(1);
  });

  it('renews when the cached token has less life than the caller asks for', async () => {
    const { broker, upstream, clock } = setup();
    const first = await broker.getToken(ALICE, { credentialId: 'dap' });
    clock.advance(50 * MIN);
    const asked = await broker.getToken(ALICE, { credentialId: 'dap', minTtlSeconds: 900 });
    expect(asked.token).not.toBe(first.token);
    expect(asked.expiresIn).toBeGreaterThanOrEqual(900);
    expect(upstream.calls.mint).toBe(2);
  });

  it('serves a stale token at once and leaves its renewal to the pre-warm, starting nothing after the answer', async () => {
    const { broker, upstream, clock, store } = setup();
    const first = await broker.getToken(ALICE, { credentialId: 'dap' });
    clock.advance(56 * MIN); // past refreshAt (55 min), still servable (59 min)
    const stale = await broker.getToken(ALICE, { credentialId: 'dap' });
    expect(stale.token).toBe(first.token);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(upstream.calls.mint).toBe(1);
    const [item] = await store.list('dap');
    expect(item?.lease).toBeUndefined();
    expect(item?.lastUsedAt).toBe(clock.now());
    expect(await broker.prewarm()).toMatchObject({ refreshed: 1 });
    const renewed = await broker.getToken(ALICE, { credentialId: 'dap' });
    expect(renewed.token).not.toBe(first.token);
    expect(upstream.calls.mint).toBe(2);
  });

  it('renews a token nobody renewed in time in the request of the first caller it no longer covers', async () => {
    const { broker, upstream, clock } = setup();
    const first = await broker.getToken(ALICE, { credentialId: 'dap' });
    clock.advance(60 * MIN - DEFAULT_SETTINGS.clockSkewToleranceMs + 1);
    const served = await broker.getToken(ALICE, { credentialId: 'dap' });
    expect(served.token).not.toBe(first.token);
    expect(served.tier).toBe('upstream');
    expect(upstream.calls.mint).toBe(2);
  });

  it('never serves a token past its guaranteed life', async () => {
    const { broker, clock, upstream } = setup();
    const first = await broker.getToken(ALICE, { credentialId: 'dap' });
    clock.advance(60 * MIN - DEFAULT_SETTINGS.clockSkewToleranceMs + 1);
    upstream.failNext(new UpstreamRetryableError('down', { upstreamStatus: 503 }));
    const error = await broker.getToken(ALICE, { credentialId: 'dap' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    expect((error as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(error)).not.toContain(first.token);
  });

  it('keys variants by normalized parameters and refuses overriding fixed ones', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock, { refreshable: true });
    const { broker } = makeInstance({ clock, upstream });
    const a = await broker.getToken(ALICE, {
      credentialId: 'canvas-jwt',
      params: { contextType: 'course', contextId: 42 },
    });
    const b = await broker.getToken(ALICE, {
      credentialId: 'canvas-jwt',
      params: { contextId: '42', contextType: 'Course' },
    });
    const c = await broker.getToken(ALICE, { credentialId: 'canvas-jwt', params: { canvasAudience: false } });
    expect(b.token).toBe(a.token);
    expect(c.token).not.toBe(a.token);
    await expect(
      broker.getToken(ALICE, { credentialId: 'canvas-jwt', params: { workflows: ['rich_content'] } }),
    ).rejects.toBeInstanceOf(PolicyDeniedError);
    await expect(
      broker.getToken(ALICE, { credentialId: 'canvas-jwt', params: { contextType: 'Account' } }),
    ).rejects.toBeInstanceOf(PolicyDeniedError);
    await expect(
      broker.getToken(ALICE, { credentialId: 'canvas-jwt', params: { colour: 'red' } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      broker.getToken(ALICE, { credentialId: 'dap', params: { contextId: '1' } }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'params: kind identity-service takes no parameters',
    });
  });

  it('lets a caller stop waiting without cancelling the shared refresh', async () => {
    const { broker, upstream } = setup();
    const release = upstream.pause();
    const controller = new AbortController();
    const impatient = broker.getToken(ALICE, { credentialId: 'dap', signal: controller.signal });
    const patient = broker.getToken(ALICE, { credentialId: 'dap' });
    controller.abort(new Error('caller gave up'));
    await expect(impatient).rejects.toThrow('caller gave up');
    release();
    await expect(patient).resolves.toMatchObject({ credentialId: 'dap' });
    expect(upstream.calls.mint).toBe(1);
  });
});

describe('canvas-jwt renewal', () => {
  it('renews through refresh while the window is open and falls back to a mint when refused', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock, { refreshable: true });
    const { broker } = makeInstance({ clock, upstream });
    await broker.getToken(ALICE, { credentialId: 'canvas-jwt' });
    clock.advance(58 * MIN);
    await broker.getToken(ALICE, { credentialId: 'canvas-jwt', minTtlSeconds: 600 });
    expect(upstream.calls).toEqual({ mint: 1, refresh: 1 });
    clock.advance(58 * MIN);
    upstream.failNext(new RefreshRejectedError('invalid refresh', { upstreamStatus: 400 }));
    await broker.getToken(ALICE, { credentialId: 'canvas-jwt', minTtlSeconds: 600 });
    expect(upstream.calls).toEqual({ mint: 2, refresh: 2 });
  });
});

describe('failure memory', () => {
  it('keeps serving a valid token while upstream fails, and holds further attempts back', async () => {
    const { broker, upstream, clock } = setup();
    await broker.getToken(ALICE, { credentialId: 'dap' });
    clock.advance(56 * MIN);
    upstream.failNext(new UpstreamRetryableError('429', { upstreamStatus: 429, retryAfterSeconds: 120 }));
    // The stale token's renewal (the pre-warm's job) fails; the valid token keeps being served.
    expect(await broker.prewarm()).toMatchObject({ failed: 1 });
    for (let i = 0; i < 50; i++) {
      await expect(broker.getToken(ALICE, { credentialId: 'dap' })).resolves.toBeDefined();
      expect(await broker.prewarm()).toMatchObject({ refreshed: 0, failed: 0 });
      clock.advance(1_000);
    }
    // One failed attempt, then nothing before Retry-After (120 s) has passed.
    expect(upstream.calls.mint).toBe(2);
    clock.advance(71_000);
    expect(await broker.prewarm()).toMatchObject({ refreshed: 1 });
    expect(upstream.calls.mint).toBe(3);
  });

  it('answers a fast 503 with Retry-After during a failure hold, without calling upstream', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock);
    const store = makeMemoryTokenStore();
    const a = makeInstance({ clock, upstream, store, instanceId: 'a' });
    const b = makeInstance({ clock, upstream, store, instanceId: 'b' });
    upstream.failNext(new UpstreamRetryableError('503', { upstreamStatus: 503, retryAfterSeconds: 30 }));
    // Upstream's 30 s, plus what another instance's clock may still disagree by (hold-tracker.ts).
    const margin = Math.ceil((2 * DEFAULT_SETTINGS.clockSkewToleranceMs) / 1000);
    const first = await a.broker.getToken(ALICE, { credentialId: 'dap' }).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    expect((first as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(30);
    expect((first as { retryAfterSeconds: number }).retryAfterSeconds).toBeLessThanOrEqual(30 + margin);
    const error = await b.broker.getToken(ALICE, { credentialId: 'dap' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    expect((error as { retryAfterSeconds: number }).retryAfterSeconds).toBeLessThanOrEqual(30 + margin);
    expect(upstream.calls.mint).toBe(1);
    clock.advance(31_000);
    await expect(b.broker.getToken(ALICE, { credentialId: 'dap' })).resolves.toBeDefined();
    expect(upstream.calls.mint).toBe(2);
  });
});

describe('rejected credentials', () => {
  it('re-reads the secret once, bypassing the cache, and succeeds with the rotated value', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock);
    const secrets = makeFakeSecrets({ 'dap-secret': { clientId: 'id', clientSecret: 'old' } });
    const { broker } = makeInstance({ clock, upstream, secrets });
    await secrets.get('dap-secret'); // warm the instance cache with the old value
    secrets.set('dap-secret', { clientId: 'id', clientSecret: 'new' });
    upstream.acceptOnly('new', () => new CredentialsRejectedError('rejected', { upstreamStatus: 401 }));
    await expect(broker.getToken(ALICE, { credentialId: 'dap' })).resolves.toBeDefined();
    expect(upstream.secretsSeen).toEqual(['old', 'new']);
    expect(secrets.reads.forced).toBe(1);
  });

  it('fails clearly after one retry when the secret stays rejected, and does not loop', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock);
    const secrets = makeFakeSecrets({ 'dap-secret': { clientId: 'id', clientSecret: 'old' } });
    const { broker } = makeInstance({ clock, upstream, secrets });
    await secrets.get('dap-secret');
    secrets.set('dap-secret', { clientId: 'id', clientSecret: 'still-wrong' });
    upstream.acceptOnly('right', () => new CredentialsRejectedError('rejected', { upstreamStatus: 401 }));
    await expect(broker.getToken(ALICE, { credentialId: 'dap' })).rejects.toBeInstanceOf(
      CredentialsRejectedError,
    );
    expect(upstream.secretsSeen).toEqual(['old', 'still-wrong']);
    await expect(broker.getToken(ALICE, { credentialId: 'dap' })).rejects.toMatchObject({
      code: 'TOKEN_UNAVAILABLE',
    });
    expect(upstream.secretsSeen).toHaveLength(2);
  });
});

describe('rejected credentials, unchanged secret', () => {
  it('does not retry when the forced re-read returns the same secret version', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock);
    const secrets = makeFakeSecrets({ 'dap-secret': { clientId: 'id', clientSecret: 'wrong' } });
    const { broker } = makeInstance({ clock, upstream, secrets });
    upstream.acceptOnly('right', () => new CredentialsRejectedError('rejected', { upstreamStatus: 403 }));
    await expect(broker.getToken(ALICE, { credentialId: 'dap' })).rejects.toBeInstanceOf(
      CredentialsRejectedError,
    );
    expect(secrets.reads.forced).toBe(1);
    expect(upstream.secretsSeen).toEqual(['wrong']);
  });
});

describe('leases', () => {
  it('takes over a crashed holder lease within the lease duration, with exactly one mint', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock);
    const store = makeMemoryTokenStore();
    const crashed = await store.acquireLease(
      { credentialId: 'dap', variantId: (await import('../../shared/core/variant-id.ts')).variantId({}) },
      { kind: 'identity-service', params: {} },
      { id: 'crashed', owner: 'dead-instance', at: clock.now(), ms: 15_000 },
      { version: 0 },
    );
    expect(crashed).toBe(true);
    const b = makeInstance({ clock, upstream, store, instanceId: 'b' });
    const start = clock.now();
    const served = await b.broker.getToken(ALICE, { credentialId: 'dap' });
    expect(served.tier).toBe('upstream');
    expect(clock.now() - start).toBeLessThanOrEqual(15_000 + 1_000);
    expect(upstream.calls.mint).toBe(1);
  });

  it('rejects a paused holder late write after a takeover, keeping the newer token', async () => {
    const clock = makeFakeClock();
    const store = makeMemoryTokenStore();
    const slowUpstream = makeFakeUpstream(clock);
    const fastUpstream = makeFakeUpstream(clock);
    // A lease B can wait out within one request (the default lease outlasts maxWaitMs by design).
    const settings = { leaseMs: 10_000 };
    const a = makeInstance({ clock, upstream: slowUpstream, store, settings, instanceId: 'a' });
    const b = makeInstance({ clock, upstream: fastUpstream, store, settings, instanceId: 'b' });
    const release = slowUpstream.pause();
    const paused = a.broker.getToken(ALICE, { credentialId: 'dap' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const winner = await b.broker.getToken(ALICE, { credentialId: 'dap' }); // waits out the lease, takes over
    release();
    const late = await paused;
    expect(late.token).toBe(winner.token); // A discards its own token and serves the newer one
    const item = await store.read({
      credentialId: 'dap',
      variantId: (await store.list('dap'))[0]!.key.variantId,
    });
    expect(item?.token?.fingerprint).toBe(winner.fingerprint);
    expect(item?.version).toBe(1);
  });
});

describe('clock skew', () => {
  it('never serves an expired token and never storms upstream with instance clocks at -5, 0 and +5 min', async () => {
    const base = makeFakeClock();
    const upstream = makeFakeUpstream(base); // upstream time = base time
    const store = makeMemoryTokenStore();
    const settings = { clockSkewToleranceMs: 5 * MIN };
    const instances = [-5 * MIN, 0, 5 * MIN].map((offset, i) =>
      makeInstance({ clock: skewed(base, offset), upstream, store, settings, instanceId: `i${i}` }),
    );
    for (let minute = 0; minute < 6 * 60; minute++) {
      for (const { broker } of instances) {
        const served = await broker.getToken(ALICE, { credentialId: 'dap', minTtlSeconds: 60 });
        // expiresAt is on the upstream's (base) clock: the token must be alive for the asked minute.
        expect(served.expiresAt - base.now()).toBeGreaterThanOrEqual(60_000);
      }
      base.advance(MIN);
      await new Promise((resolve) => setImmediate(resolve));
    }
    // 6 hours of 1-hour tokens: the floor is 6 mints; skewed instances may renew a little early, no storm.
    expect(upstream.calls.mint).toBeLessThanOrEqual(8);
  });
});

describe('clock skew with upstream down', () => {
  it('stops a slow-clock instance from serving before the token expires on the upstream clock', async () => {
    const base = makeFakeClock();
    const upstream = makeFakeUpstream(base);
    const store = makeMemoryTokenStore();
    const settings = { clockSkewToleranceMs: 5 * MIN };
    const minter = makeInstance({
      clock: skewed(base, 5 * MIN),
      upstream,
      store,
      settings,
      instanceId: 'fast',
    });
    const slow = makeInstance({
      clock: skewed(base, -5 * MIN),
      upstream,
      store,
      settings,
      instanceId: 'slow',
    });
    await minter.broker.getToken(ALICE, { credentialId: 'dap' });
    upstream.failNext(
      ...Array.from({ length: 500 }, () => new UpstreamRetryableError('down', { upstreamStatus: 503 })),
    );
    let served = 0;
    let refused = 0;
    for (let second = 0; second < 2 * 3600; second += 15) {
      const result = await slow.broker.getToken(ALICE, { credentialId: 'dap' }).catch((e: unknown) => e);
      if (result instanceof Error) {
        refused++;
      } else {
        served++;
        expect((result as { expiresAt: number }).expiresAt).toBeGreaterThan(base.now());
      }
      base.advance(15_000);
    }
    expect(served).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});

describe('admin and invalidation', () => {
  it('invalidates only for a caller proving it holds the current token', async () => {
    const { broker, upstream } = setup();
    const first = await broker.getToken(ALICE, { credentialId: 'dap' });
    const wrong = sha256Hex('not the token');
    expect(await broker.invalidate(ALICE, { credentialId: 'dap', tokenSha256: wrong })).toEqual({
      invalidated: false,
    });
    // The listed fingerprint is not proof: only the full hash of the token is accepted.
    await expect(
      broker.invalidate(ALICE, { credentialId: 'dap', tokenSha256: first.fingerprint }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await broker.getToken(ALICE, { credentialId: 'dap' })).token).toBe(first.token);
    expect(
      await broker.invalidate(ALICE, { credentialId: 'dap', tokenSha256: sha256Hex(first.token) }),
    ).toEqual({ invalidated: true });
    const next = await broker.getToken(ALICE, { credentialId: 'dap' });
    expect(next.token).not.toBe(first.token);
    // A late report of the old token cannot evict the new one.
    expect(
      await broker.invalidate(ALICE, { credentialId: 'dap', tokenSha256: sha256Hex(first.token) }),
    ).toEqual({ invalidated: false });
    expect(upstream.calls.mint).toBe(2);
  });

  it('proves possession on another instance by decrypting the current item', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock);
    const store = makeMemoryTokenStore();
    const a = makeInstance({ clock, upstream, store, instanceId: 'a' }).broker;
    const b = makeInstance({ clock, upstream, store, instanceId: 'b' }).broker;
    const served = await a.getToken(ALICE, { credentialId: 'dap' });
    expect(await b.invalidate(ALICE, { credentialId: 'dap', tokenSha256: sha256Hex(served.token) })).toEqual({
      invalidated: true,
    });
    expect((await store.list('dap'))[0]?.token).toBeUndefined();
    expect((await b.getToken(ALICE, { credentialId: 'dap' })).token).not.toBe(served.token);
  });

  it('bounds a listing to the 100 most recently used variants and says how many there are', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock);
    const { broker } = makeInstance({ clock, upstream });
    for (let id = 1; id <= 120; id++) {
      await broker.getToken(ALICE, {
        credentialId: 'canvas-jwt',
        params: { contextType: 'Course', contextId: id },
      });
      clock.advance(1_000);
    }
    for (const caller of [ALICE, ADMIN]) {
      const listed = (await broker.listCredentials(caller)).find((c) => c.id === 'canvas-jwt')!;
      expect(listed.variantCount).toBe(120);
      expect(listed.variants).toHaveLength(100);
      expect(listed.variants[0]!.params.contextId).toBe('120');
    }
  });

  it('lists to non-admins only the variants they may request, without fingerprints', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock);
    const store = makeMemoryTokenStore();
    const { broker } = makeInstance({ clock, upstream, store });
    await broker.getToken(ALICE, { credentialId: 'canvas-jwt' });
    await broker.getToken(ALICE, {
      credentialId: 'canvas-jwt',
      params: { contextType: 'Course', contextId: 7 },
    });
    // A variant written under another config (here: a context type callers may not choose).
    const other = { ...JWT, callerParams: { contextType: '*' as const, contextId: '*' as const } };
    const wider = makeBroker({
      credentials: [other],
      policy: POLICY,
      store,
      secrets: makeFakeSecrets({ 'canvas-secret': { accessToken: 'c1' } }),
      cipher: makeFakeCipher(),
      upstreamFor: () => upstream,
      clock,
      instanceId: 'wider',
    });
    await wider.getToken(ALICE, {
      credentialId: 'canvas-jwt',
      params: { contextType: 'Account', contextId: 1 },
    });

    const mine = (await broker.listCredentials(ALICE)).find((c) => c.id === 'canvas-jwt')!;
    expect(mine.variants).toHaveLength(2);
    expect(mine.variants.map((v) => v.params.contextType)).not.toContain('Account');
    for (const v of mine.variants) {
      expect(v.fingerprint).toBeUndefined();
      expect(v.secretVersionId).toBeUndefined();
    }
    const all = (await broker.listCredentials(ADMIN)).find((c) => c.id === 'canvas-jwt')!;
    expect(all.variants).toHaveLength(3);
    for (const v of all.variants) expect(v.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('restricts describe, force refresh and purge to admins', async () => {
    const { broker } = setup();
    await broker.getToken(ALICE, { credentialId: 'dap' });
    await expect(broker.describeCredential(ALICE, 'dap')).rejects.toBeInstanceOf(PolicyDeniedError);
    await expect(broker.purge(ALICE, 'dap')).rejects.toBeInstanceOf(PolicyDeniedError);
    const detail = await broker.describeCredential(ADMIN, 'dap');
    expect(detail.recentMints).toHaveLength(1);
    expect(JSON.stringify(detail)).not.toMatch(/tok_/);
    expect(await broker.forceRefresh(ADMIN, 'dap')).toEqual({ refreshed: 1 });
    expect(await broker.purge(ADMIN, 'dap')).toEqual({ purged: 1 });
    expect(await broker.listCredentials(ALICE)).toEqual([
      expect.objectContaining({ id: 'dap', variants: [] }),
      expect.objectContaining({ id: 'canvas-jwt' }),
    ]);
  });
});

describe('prewarm', () => {
  it('renews stale variants used recently, leaves idle ones, and never fails the run', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock, { refreshable: true });
    const { broker } = makeInstance({ clock, upstream });
    await broker.getToken(ALICE, { credentialId: 'dap' });
    await broker.getToken(ALICE, { credentialId: 'canvas-jwt' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(await broker.prewarm()).toMatchObject({ refreshed: 0, skipped: 2, failed: 0 });
    clock.advance(56 * MIN);
    // Two 500s: a canvas-jwt refresh answering 500 falls back to a mint in the same renewal.
    upstream.failNext(
      new UpstreamRetryableError('boom', { upstreamStatus: 500 }),
      new UpstreamRetryableError('boom', { upstreamStatus: 500 }),
    );
    const report = await broker.prewarm();
    expect(report.refreshed + report.failed).toBe(2);
    expect(report.failed).toBe(1);
    clock.advance(4 * 3_600_000);
    expect(await broker.prewarm()).toMatchObject({ refreshed: 0, skipped: 2 });
  });
});

describe('stored envelopes', () => {
  it('replaces a stored token whose envelope does not open in its item, never serving it', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock);
    const store = makeMemoryTokenStore();
    const a = makeInstance({ clock, upstream, store, instanceId: 'a' });
    const original = await a.broker.getToken(ALICE, { credentialId: 'dap' });
    const [item] = await store.list('dap');
    // Re-write the same envelope at the next version: it is bound to version 1 and must not open at 2.
    const lease = { id: 'forger', owner: 'x', at: clock.now(), ms: 1_000 };
    expect(
      await store.acquireLease(item!.key, { kind: 'identity-service', params: {} }, lease, { version: 1 }),
    ).toBe(true);
    expect(await store.putToken(item!.key, 'forger', 1, item!.token!)).toBe(true);
    const b = makeInstance({ clock, upstream, store, instanceId: 'b' });
    const served = await b.broker.getToken(ALICE, { credentialId: 'dap' });
    expect(served.token).not.toBe(original.token);
    expect(served.tier).toBe('upstream');
    expect(upstream.calls.mint).toBe(2);
    expect(DAP.kind).toBe('identity-service');
    expect(JWT.kind).toBe('canvas-jwt');
  });
});

describe('tier reporting', () => {
  it('reports a re-check against the table as a table hit, not another upstream mint', async () => {
    const { broker, clock, upstream } = setup();
    expect((await broker.getToken(ALICE, { credentialId: 'dap' })).tier).toBe('upstream');
    expect((await broker.getToken(ALICE, { credentialId: 'dap' })).tier).toBe('memory');
    clock.advance(31_000); // past memoryRecheckMs: one table read confirms the same token
    expect((await broker.getToken(ALICE, { credentialId: 'dap' })).tier).toBe('table');
    expect(upstream.calls.mint).toBe(1);
  });
});
