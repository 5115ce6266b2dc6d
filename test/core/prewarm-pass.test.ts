import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../shared/core/errors.ts';
import { makePrewarmPass } from '../../shared/core/prewarm-pass.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import { makeVariantRegistry } from '../../shared/core/variant-registry.ts';
import { DAP, JWT } from '../support/core-harness.ts';
import { freshState, makeLifecycleFixture, storeToken } from '../support/lifecycle-fixture.ts';

const HOUR = 3_600_000;

describe('makePrewarmPass', () => {
  it('renews only due variants used recently, and counts the rest as skipped', async () => {
    const fx = makeLifecycleFixture();
    const renewed: string[] = [];
    const pass = makePrewarmPass({
      ...fx,
      credentials: [DAP],
      variants: makeVariantRegistry(),
      renew: async (state) => {
        renewed.push(state.key.variantId);
        return 'renewed';
      },
    });
    const used = freshState(DAP);
    const idle = freshState(DAP);
    const notDue = freshState(DAP);
    await storeToken(fx, used, 'a', { lifeMs: HOUR });
    await storeToken(fx, idle, 'b', { lifeMs: HOUR });
    await fx.store.touch(used.key, fx.clock.now());
    fx.clock.advance(HOUR / 2);
    await storeToken(fx, notDue, 'c', { lifeMs: HOUR });
    await fx.store.touch(notDue.key, fx.clock.now());
    // `idle` was never touched; `notDue` is before its refreshAt.
    const report = await pass();
    expect(report).toEqual({ refreshed: 1, skipped: 2, failed: 0, failures: [] });
    expect(renewed).toEqual([used.key.variantId]);
    expect(fx.metrics.points.map((p) => `${p.name}=${p.value}`)).toEqual([
      'PrewarmRefreshed=1',
      'PrewarmSkipped=2',
      'PrewarmFailed=0',
    ]);
  });

  it('reports a credential it cannot list and a variant whose renewal fails, and goes on', async () => {
    const fx = makeLifecycleFixture();
    const store: TokenStore = {
      ...fx.store,
      list: async (credentialId) => {
        if (credentialId === 'canvas-jwt') throw new StoreUnavailableError('down');
        return fx.store.list(credentialId);
      },
    };
    const state = freshState(DAP);
    await storeToken(fx, state, 'a', { lifeMs: HOUR });
    await fx.store.touch(state.key, fx.clock.now());
    fx.clock.advance(HOUR / 2);
    const pass = makePrewarmPass({
      ...fx,
      store,
      credentials: [JWT, DAP],
      variants: makeVariantRegistry(),
      renew: async () => {
        throw new Error('boom');
      },
    });
    expect(await pass()).toEqual({
      refreshed: 0,
      skipped: 0,
      failed: 2,
      failures: [
        { credentialId: 'canvas-jwt', variantId: '*', code: 'STORE_UNAVAILABLE' },
        { credentialId: 'dap', variantId: state.key.variantId, code: 'INTERNAL' },
      ],
    });
  });
});
