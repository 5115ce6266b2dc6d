import { describe, expect, it } from 'vitest';
import { UpstreamFatalError } from '../../shared/core/errors.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import {
  freshState,
  makeCycleUnderTest,
  makeLifecycleFixture,
  storeToken,
} from '../support/lifecycle-fixture.ts';

const HOUR = 3_600_000;
const LEASE = (at: number, id = 'other') => ({ id, owner: 'i-other', at, ms: 40_000 });
const INIT = { kind: 'identity-service' as const, params: {} };

describe('makeRefreshCycle', () => {
  it('runs one cycle for every caller of a variant on this instance: one read, one mint', async () => {
    const fx = makeLifecycleFixture();
    let reads = 0;
    const store: TokenStore = {
      ...fx.store,
      read: (key) => {
        reads++;
        return fx.store.read(key);
      },
    };
    const { join, upstream } = makeCycleUnderTest({ ...fx, store });
    const state = freshState();
    await Promise.all(Array.from({ length: 25 }, () => join(state, 60_000)));
    expect(reads).toBe(1);
    expect(upstream.calls.mint).toBe(1);
    expect(state.cycle).toBeUndefined();
  });

  it('waits on another instance’s lease, polling, and is served the token it writes', async () => {
    const fx = makeLifecycleFixture();
    const state = freshState();
    await fx.store.acquireLease(state.key, INIT, LEASE(fx.clock.now()), { version: 0 });
    const writeAt = fx.clock.now() + 120;
    let written = false;
    const store: TokenStore = {
      ...fx.store,
      read: async (key) => {
        if (!written && fx.clock.now() >= writeAt) {
          written = true;
          await fx.store.releaseLease(key, 'other');
          await storeToken(fx, state, 'tok-theirs');
        }
        return fx.store.read(key);
      },
    };
    const { join, upstream } = makeCycleUnderTest({ ...fx, store });
    await join(state, 60_000);
    expect(state.cached?.token).toBe('tok-theirs');
    expect(upstream.calls.mint).toBe(0);
    expect(fx.metrics.points.filter((p) => p.name === 'LeaseWait').length).toBeGreaterThan(0);
  });

  it('answers a fast 503 instead of waiting behind another instance’s retry of a failing variant', async () => {
    const fx = makeLifecycleFixture();
    const state = freshState();
    const now = fx.clock.now();
    await fx.store.acquireLease(state.key, INIT, LEASE(now, 'a'), { version: 0 });
    await fx.store.putFailure(state.key, 'a', {
      id: 'f',
      code: 'UPSTREAM_RETRYABLE',
      at: now,
      holdMs: 1_000,
      count: 1,
    });
    fx.clock.advance(5_000);
    await fx.store.acquireLease(state.key, INIT, LEASE(fx.clock.now(), 'b'), { version: 0, failureId: 'f' });
    const { join } = makeCycleUnderTest(fx);
    await expect(join(state, 60_000)).rejects.toMatchObject({
      code: 'TOKEN_UNAVAILABLE',
      details: { reason: 'UPSTREAM_RETRYABLE' },
    });
  });

  it('gives up with REFRESH_IN_PROGRESS once maxWaitMs has passed behind a lease', async () => {
    const fx = makeLifecycleFixture();
    const state = freshState();
    await fx.store.acquireLease(state.key, INIT, LEASE(fx.clock.now()), { version: 0 });
    const start = fx.clock.now();
    const { join } = makeCycleUnderTest(fx);
    await expect(join(state, 60_000)).rejects.toMatchObject({ details: { reason: 'REFRESH_IN_PROGRESS' } });
    expect(fx.clock.now() - start).toBeGreaterThanOrEqual(fx.settings.maxWaitMs);
  });

  it('refuses a need no fresh token of the variant can meet, once it has seen one', async () => {
    const fx = makeLifecycleFixture();
    const { join, upstream } = makeCycleUnderTest(fx);
    const state = freshState();
    await join(state, 60_000);
    // A joiner is released as soon as the token covers it; the cycle itself ends a moment later.
    await state.cycle;
    await expect(join(state, HOUR)).rejects.toMatchObject({ code: 'MIN_TTL_UNSATISFIABLE' });
    expect(upstream.calls.mint).toBe(1);
  });

  it('lets a caller stop waiting without stopping the cycle for the others', async () => {
    const fx = makeLifecycleFixture();
    const { join, upstream } = makeCycleUnderTest(fx);
    const release = upstream.pause();
    const state = freshState();
    const abort = new AbortController();
    const leaving = join(state, 60_000, abort.signal);
    const staying = join(state, 60_000);
    abort.abort(new Error('caller gone'));
    await expect(leaving).rejects.toThrow('caller gone');
    release();
    await staying;
    expect(state.cached).toBeDefined();
  });

  it('keeps one waiter per need however many callers wait, and none once they are served', async () => {
    const fx = makeLifecycleFixture();
    const { join, upstream } = makeCycleUnderTest(fx);
    const release = upstream.pause();
    const state = freshState();
    const callers = Array.from({ length: 100 }, (_, i) => join(state, i % 2 ? 60_000 : 120_000));
    expect(state.waiters?.size).toBe(2);
    release();
    await Promise.all(callers);
    expect(state.waiters?.size).toBe(0);
    expect(upstream.calls.mint).toBe(1);
  });

  it('lets every caller leave before a failing cycle ends without an unhandled rejection', async () => {
    const fx = makeLifecycleFixture();
    const { join, upstream } = makeCycleUnderTest(fx);
    upstream.failNext(new UpstreamFatalError('down'));
    const state = freshState();
    const gone = AbortSignal.abort(new Error('caller gone'));
    await expect(join(state, 60_000, gone)).rejects.toThrow('caller gone');
    // The cycle goes on alone, fails, and nothing is left to hear it (vitest fails on an unhandled one).
    await state.cycle?.catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.waiters?.size ?? 0).toBe(0);
  });
});
