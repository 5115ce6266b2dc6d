import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../shared/core/errors.ts';
import { makeReadThrough } from '../../shared/core/read-through.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import { makeUsageTouch } from '../../shared/core/usage-touch.ts';
import {
  freshState,
  makeCycleUnderTest,
  makeLifecycleFixture,
  storeToken,
} from '../support/lifecycle-fixture.ts';

const setup = (store?: TokenStore) => {
  const base = makeLifecycleFixture();
  const fx = store ? { ...base, store } : base;
  const reads = { count: 0 };
  const counted: TokenStore = {
    ...fx.store,
    read: (key) => {
      reads.count++;
      return fx.store.read(key);
    },
  };
  const cycle = makeCycleUnderTest({ ...fx, store: counted });
  const touch = makeUsageTouch({ ...fx, touchIntervalMs: fx.settings.touchIntervalMs });
  const obtain = makeReadThrough({ ...fx, ...cycle, touch });
  return { fx, reads, obtain, ...cycle };
};

describe('makeReadThrough', () => {
  it('mints a cold variant once and serves it from memory afterwards, without reading the table', async () => {
    const { obtain, reads, upstream } = setup();
    const state = freshState();
    expect((await obtain(state, 60_000)).tier).toBe('upstream');
    expect((await obtain(state, 60_000)).tier).toBe('memory');
    expect(reads.count).toBe(1);
    expect(upstream.calls.mint).toBe(1);
  });

  it('serves a token another instance wrote from the table tier', async () => {
    const { fx, obtain, upstream } = setup();
    const state = freshState();
    await storeToken(fx, state, 'tok-theirs');
    const served = await obtain(state, 60_000);
    expect(served).toMatchObject({ tier: 'table', token: { token: 'tok-theirs' } });
    expect(upstream.calls.mint).toBe(0);
  });

  it('re-checks its memory against the table after memoryRecheckMs', async () => {
    const { fx, obtain, reads } = setup();
    const state = freshState();
    await obtain(state, 60_000);
    fx.clock.advance(fx.settings.memoryRecheckMs);
    expect((await obtain(state, 60_000)).tier).toBe('table');
    expect(reads.count).toBe(2);
  });

  it('serves the token it holds when the table fails, as long as it covers the caller', async () => {
    const fx = makeLifecycleFixture();
    let failing = false;
    const store: TokenStore = {
      ...fx.store,
      read: async (key) => {
        if (failing) throw new StoreUnavailableError('table down');
        return fx.store.read(key);
      },
    };
    const { obtain } = setup(store);
    const state = freshState();
    await obtain(state, 60_000);
    failing = true;
    fx.clock.advance(fx.settings.memoryRecheckMs);
    expect((await obtain(state, 60_000)).tier).toBe('memory');
  });

  it('touches a variant once per interval, and again right after the mint that created its item', async () => {
    const fx = makeLifecycleFixture();
    const touched: number[] = [];
    const store: TokenStore = {
      ...fx.store,
      touch: async (key, at) => {
        touched.push(at);
        return fx.store.touch(key, at);
      },
    };
    const { obtain } = setup(store);
    const state = freshState();
    await obtain(state, 60_000);
    await obtain(state, 60_000);
    // The first touch met no item (a touch never creates one); the second lands on the minted item.
    expect(touched).toHaveLength(2);
    expect((await fx.store.read(state.key))?.lastUsedAt).toBe(touched[1]);
  });
});
