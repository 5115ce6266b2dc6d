import { describe, expect, it } from 'vitest';
import { makeCredentialSummaries } from '../../shared/core/credential-summaries.ts';
import { makeVariantRegistry } from '../../shared/core/variant-registry.ts';
import { DAP } from '../support/core-harness.ts';
import { freshState, makeLifecycleFixture, storeToken } from '../support/lifecycle-fixture.ts';

const MIN = 60_000;

describe('makeCredentialSummaries', () => {
  it('names each variant fresh, stale or expired by its token, and shows fingerprints to admins only', async () => {
    const fx = makeLifecycleFixture();
    const summaries = makeCredentialSummaries(fx);
    // The variant a caller names (its id is the hash of its parameters, which listings re-check).
    const state = makeVariantRegistry().variantOf(DAP, undefined);
    // storeToken sets refreshAt at half-life: 30 min for a one-hour token.
    await storeToken(fx, state, 'tok', { lifeMs: 60 * MIN });
    const stateNow = async () => (await summaries.summary(DAP, true)).variants[0]?.state;
    expect(await stateNow()).toBe('fresh');
    fx.clock.advance(31 * MIN);
    expect(await stateNow()).toBe('stale');
    fx.clock.advance(30 * MIN);
    expect(await stateNow()).toBe('expired');
    expect((await summaries.summary(DAP, true)).variants[0]).toHaveProperty('fingerprint');
    const forCaller = await summaries.summary(DAP, false);
    expect(forCaller.variantCount).toBe(1);
    expect(forCaller.variants[0]).not.toHaveProperty('fingerprint');
    expect(forCaller.variants[0]).not.toHaveProperty('secretVersionId');
  });

  it('reports a credential unhealthy by its longest-failing unhealthy variant, with recent mints', async () => {
    const fx = makeLifecycleFixture();
    const summaries = makeCredentialSummaries(fx);
    const state = freshState(DAP);
    const lease = { id: 'l', owner: 'x', at: fx.clock.now(), ms: 40_000 };
    await fx.store.acquireLease(state.key, { kind: 'identity-service', params: {} }, lease, { version: 0 });
    const since = fx.clock.now() - 20 * MIN;
    await fx.store.putFailure(state.key, 'l', {
      id: 'f',
      code: 'UPSTREAM_FATAL',
      at: fx.clock.now(),
      holdMs: 1_000,
      count: 9,
      since,
      unhealthyAt: fx.clock.now(),
    });
    const detail = await summaries.detail(DAP);
    expect(detail.health).toEqual({ state: 'unhealthy', code: 'UPSTREAM_FATAL', since, variants: 1 });
    expect(detail.baseUrl).toBe(DAP.baseUrl);
    expect(detail.recentMints).toEqual([]);
  });
});
