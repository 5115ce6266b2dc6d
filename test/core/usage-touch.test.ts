import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../shared/core/errors.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import { makeUsageTouch } from '../../shared/core/usage-touch.ts';
import { freshState, makeLifecycleFixture, storeToken } from '../support/lifecycle-fixture.ts';

const setup = (failing = false) => {
  const fx = makeLifecycleFixture();
  const touches: number[] = [];
  const store: TokenStore = {
    ...fx.store,
    touch: async (key, at) => {
      touches.push(at);
      if (failing) throw new StoreUnavailableError('down');
      return fx.store.touch(key, at);
    },
  };
  return {
    fx,
    touches,
    touch: makeUsageTouch({ ...fx, store, touchIntervalMs: fx.settings.touchIntervalMs }),
  };
};

describe('makeUsageTouch', () => {
  it('records use at most once per interval per variant, unless forced', async () => {
    const { fx, touches, touch } = setup();
    const state = freshState();
    await storeToken(fx, state, 'tok');
    const start = fx.clock.now();
    await touch(state, start);
    await touch(state, start + 60_000);
    await touch(state, start + 60_000, true);
    await touch(state, start + 60_000 + fx.settings.touchIntervalMs);
    expect(touches).toEqual([start, start + 60_000, start + 60_000 + fx.settings.touchIntervalMs]);
    expect((await fx.store.read(state.key))?.lastUsedAt).toBe(start + 60_000 + fx.settings.touchIntervalMs);
  });

  it('never fails the request: a failed write is a warning with the code only', async () => {
    const { fx, touch } = setup(true);
    await expect(touch(freshState(), fx.clock.now())).resolves.toBeUndefined();
    expect(fx.logger.entries).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'lastUsedAt not written',
        fields: expect.objectContaining({ error: 'STORE_UNAVAILABLE' }),
      }),
    ]);
  });
});
