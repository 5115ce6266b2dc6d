import { describe, expect, it } from 'vitest';
import { UpstreamFatalError, UpstreamRetryableError } from '../../shared/core/errors.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import { JWT } from '../support/core-harness.ts';
import { freshState, makeLifecycleFixture, makeRefreshUnderTest } from '../support/lifecycle-fixture.ts';

describe('makeLeasedRefresh', () => {
  it('takes the lease, mints, writes the token fenced at the next version and keeps it in memory', async () => {
    const fx = makeLifecycleFixture();
    const { refresh, upstream } = makeRefreshUnderTest(fx);
    const state = freshState();
    expect(await refresh(state, undefined)).toBe('won');
    const item = await fx.store.read(state.key);
    expect(item?.version).toBe(1);
    expect(item?.lease).toBeUndefined();
    expect(item?.token?.fingerprint).toBe(state.cached?.fingerprint);
    expect(item?.token?.renewalMs).toBe(0);
    expect(state.source).toBe('upstream');
    expect(state.freshGuaranteeMs).toBe(3_600_000 - 1_500);
    expect(upstream.calls.mint).toBe(1);
    expect(fx.metrics.points.map((p) => p.name)).toEqual(['Mint']);
  });

  it('records on the token how long the renewal took, from lease to sealed token', async () => {
    const fx = makeLifecycleFixture();
    const { refresh, upstream } = makeRefreshUnderTest(fx);
    const mint = upstream.mint;
    upstream.mint = async (request) => {
      fx.clock.advance(180);
      return mint(request);
    };
    const state = freshState();
    await refresh(state, undefined);
    expect((await fx.store.read(state.key))?.token?.renewalMs).toBe(180);
  });

  it('answers lost, with no upstream call, when another instance holds the lease', async () => {
    const fx = makeLifecycleFixture();
    const { refresh, upstream } = makeRefreshUnderTest(fx);
    const state = freshState();
    await fx.store.acquireLease(
      state.key,
      { kind: 'identity-service', params: {} },
      { id: 'other', owner: 'x', at: fx.clock.now(), ms: 40_000 },
      { version: 0 },
    );
    expect(await refresh(state, undefined)).toBe('lost');
    expect(upstream.calls.mint).toBe(0);
  });

  it('discards its token when the fence refuses a late write (the lease was taken over)', async () => {
    const fx = makeLifecycleFixture();
    const store: TokenStore = { ...fx.store, putToken: async () => false };
    const { refresh } = makeRefreshUnderTest({ ...fx, store });
    const state = freshState();
    expect(await refresh(state, undefined)).toBe('lost');
    expect(state.cached).toBeUndefined();
    expect(fx.metrics.points.map((p) => p.name)).toContain('FencedWriteRejected');
  });

  it('writes failure memory, releasing the lease, and answers a transient failure with a 503', async () => {
    const fx = makeLifecycleFixture();
    const { refresh, upstream } = makeRefreshUnderTest(fx);
    upstream.failNext(new UpstreamRetryableError('503 from upstream', { retryAfterSeconds: 30 }));
    const state = freshState();
    await expect(refresh(state, undefined)).rejects.toMatchObject({
      code: 'TOKEN_UNAVAILABLE',
      details: { reason: 'UPSTREAM_RETRYABLE' },
    });
    const item = await fx.store.read(state.key);
    expect(item?.lease).toBeUndefined();
    expect(item?.failure).toMatchObject({ code: 'UPSTREAM_RETRYABLE', count: 1 });
    expect(item?.failure?.holdMs).toBeGreaterThanOrEqual(30_000);
  });

  it('passes a permanent failure through as it is, still remembered', async () => {
    const fx = makeLifecycleFixture();
    const { refresh, upstream } = makeRefreshUnderTest(fx);
    upstream.failNext(new UpstreamFatalError('account suspended'));
    const state = freshState();
    await expect(refresh(state, undefined)).rejects.toBeInstanceOf(UpstreamFatalError);
    expect((await fx.store.read(state.key))?.failure?.code).toBe('UPSTREAM_FATAL');
  });

  it('gives the lease straight back when the credential is throttled, calling nobody', async () => {
    const fx = makeLifecycleFixture();
    const { refresh, upstream } = makeRefreshUnderTest(fx);
    await fx.store.putCredentialHold('dap', {
      id: 'h',
      code: 'UPSTREAM_RETRYABLE',
      at: fx.clock.now(),
      ms: 60_000,
    });
    const state = freshState();
    await expect(refresh(state, undefined)).rejects.toMatchObject({
      details: { reason: 'CREDENTIAL_THROTTLED' },
    });
    expect((await fx.store.read(state.key))?.lease).toBeUndefined();
    expect(upstream.calls.mint).toBe(0);
  });

  it('takes over a lease it saw expire, with a warning and a metric', async () => {
    const fx = makeLifecycleFixture();
    const { refresh } = makeRefreshUnderTest(fx);
    const state = freshState();
    await fx.store.acquireLease(
      state.key,
      { kind: 'identity-service', params: {} },
      { id: 'stale', owner: 'i-gone', at: fx.clock.now(), ms: 40_000 },
      { version: 0 },
    );
    fx.clock.advance(60_000);
    const item = await fx.store.read(state.key);
    expect(await refresh(state, item)).toBe('won');
    expect(fx.metrics.points.map((p) => p.name)).toContain('LeaseTakeover');
    expect(
      fx.logger.entries.find((e) => e.message === 'took over an expired refresh lease')?.fields,
    ).toMatchObject({ previousOwner: 'i-gone' });
  });

  it('refreshes a canvas-jwt token it holds while the refresh window is open', async () => {
    const fx = makeLifecycleFixture();
    const { refresh, upstream } = makeRefreshUnderTest(fx, { refreshable: true });
    const state = freshState(JWT);
    expect(await refresh(state, undefined)).toBe('won');
    expect(await refresh(state, await fx.store.read(state.key))).toBe('won');
    expect((await fx.store.read(state.key))?.version).toBe(2);
    expect(upstream.calls).toEqual({ mint: 1, refresh: 1 });
  });
});
