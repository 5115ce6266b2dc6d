import { describe, expect, it } from 'vitest';
import { makeBackgroundRenewal } from '../../shared/core/background-renewal.ts';
import { makeTableSync } from '../../shared/core/table-sync.ts';
import {
  freshState,
  makeLifecycleFixture,
  makeRefreshUnderTest,
  storeToken,
} from '../support/lifecycle-fixture.ts';

const setup = () => {
  const fx = makeLifecycleFixture();
  const under = makeRefreshUnderTest(fx);
  const renew = makeBackgroundRenewal({ ...fx, ...under, tableSync: makeTableSync(fx) });
  return { fx, ...under, renew };
};

describe('makeBackgroundRenewal', () => {
  it('skips a token before its refreshAt, and renews it once it is stale', async () => {
    const { fx, renew, upstream } = setup();
    const state = freshState();
    const item = await storeToken(fx, state, 'tok', { lifeMs: 3_600_000 });
    expect(await renew(state, item, false)).toBe('skipped');
    fx.clock.advance(item.token!.refreshAt - fx.clock.now());
    expect(await renew(state, item, false)).toBe('renewed');
    expect(upstream.calls.mint).toBe(1);
  });

  it('renews at once when forced, whatever refreshAt says', async () => {
    const { fx, renew, upstream } = setup();
    const state = freshState();
    expect(await renew(state, await storeToken(fx, state, 'tok'), true)).toBe('renewed');
    expect(upstream.calls.mint).toBe(1);
  });

  it('leaves a variant alone while another instance holds its lease, even when forced', async () => {
    const { fx, renew, upstream } = setup();
    const state = freshState();
    await fx.store.acquireLease(
      state.key,
      { kind: 'identity-service', params: {} },
      { id: 'l', owner: 'x', at: fx.clock.now(), ms: 40_000 },
      { version: 0 },
    );
    expect(await renew(state, await fx.store.read(state.key), true)).toBe('skipped');
    expect(upstream.calls.mint).toBe(0);
  });

  it('waits out a failure hold and a known credential throttle quietly, unless forced', async () => {
    const { fx, renew, upstream, credentialHolds } = setup();
    const state = freshState();
    const failing = {
      key: state.key,
      kind: 'identity-service' as const,
      params: {},
      version: 0,
      failure: { id: 'f', code: 'UPSTREAM_RETRYABLE' as const, at: fx.clock.now(), holdMs: 60_000, count: 1 },
    };
    expect(await renew(state, failing, false)).toBe('skipped');
    const other = freshState();
    credentialHolds.remember('dap', { id: 'h', code: 'UPSTREAM_RETRYABLE', at: fx.clock.now(), ms: 60_000 });
    expect(await renew(other, undefined, false)).toBe('skipped');
    expect(upstream.calls.mint).toBe(0);
  });

  it('renews an identity-service token without opening the stored one', async () => {
    const fx = makeLifecycleFixture();
    let opens = 0;
    const cipher = {
      ...fx.cipher,
      open: async (...args: Parameters<typeof fx.cipher.open>) => {
        opens++;
        return fx.cipher.open(...args);
      },
    };
    const under = makeRefreshUnderTest({ ...fx, cipher });
    const renew = makeBackgroundRenewal({ ...fx, ...under, tableSync: makeTableSync({ ...fx, cipher }) });
    const state = freshState();
    expect(await renew(state, await storeToken(fx, state, 'tok'), true)).toBe('renewed');
    expect(opens).toBe(0);
    expect(under.upstream.calls.mint).toBe(1);
  });
});
