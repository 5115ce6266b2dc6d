import { describe, expect, it } from 'vitest';
import type { EnvelopeCipher } from '../../shared/core/envelope-cipher.ts';
import { makeTableSync } from '../../shared/core/table-sync.ts';
import { JWT } from '../support/core-harness.ts';
import { freshState, makeLifecycleFixture, storeToken } from '../support/lifecycle-fixture.ts';

const HOUR = 3_600_000;

/** The fixture's cipher, counting opens. */
const setup = () => {
  const fx = makeLifecycleFixture();
  const opens = { count: 0 };
  const cipher: EnvelopeCipher = {
    seal: fx.cipher.seal,
    open: (envelope, context) => {
      opens.count++;
      return fx.cipher.open(envelope, context);
    },
  };
  const sync = makeTableSync({ ...fx, cipher });
  return { fx, sync, opens };
};

describe('makeTableSync', () => {
  it('opens a live token another instance wrote and serves it from the table tier', async () => {
    const { fx, sync, opens } = setup();
    const state = freshState();
    const item = await storeToken(fx, state, 'tok-a');
    expect(await sync.sync(state, item, sync.forServing)).toBe('opened');
    expect(state.cached).toMatchObject({ token: 'tok-a', version: 1, checkedAt: fx.clock.now() });
    expect(state.source).toBe('table');
    expect(opens.count).toBe(1);
    // What a fresh token of this variant guarantees: its life less skew and the arrival slack.
    expect(state.freshGuaranteeMs).toBe(HOUR - 1_500 - 10_000);
  });

  it('confirms the token it already holds without opening it again', async () => {
    const { fx, sync, opens } = setup();
    const state = freshState();
    const item = await storeToken(fx, state, 'tok-a');
    await sync.sync(state, item, sync.forServing);
    fx.clock.advance(60_000);
    expect(await sync.sync(state, item, sync.forServing)).toBe('same');
    expect(state.cached?.checkedAt).toBe(fx.clock.now());
    expect(opens.count).toBe(1);
  });

  it('drops its copy when the table has no token (purged or invalidated)', async () => {
    const { fx, sync } = setup();
    const state = freshState();
    await sync.sync(state, await storeToken(fx, state, 'tok-a'), sync.forServing);
    expect(await sync.sync(state, undefined, sync.forServing)).toBe('empty');
    expect(state.cached).toBeUndefined();
  });

  it('leaves an expired token unopened unless a refresh will present it', async () => {
    const { fx, sync, opens } = setup();
    const dap = freshState();
    const expired = await storeToken(fx, dap, 'tok-old', { lifeMs: 60_000 });
    fx.clock.advance(2 * 60_000);
    expect(await sync.sync(dap, expired, sync.forServing)).toBe('unopened');
    expect(await sync.sync(dap, expired, sync.forRefresh)).toBe('unopened');
    expect(opens.count).toBe(0);
    const jwt = freshState(JWT);
    const refreshable = await storeToken(fx, jwt, 'tok-jwt', { lifeMs: 60_000, refreshableForMs: HOUR });
    fx.clock.advance(2 * 60_000);
    expect(await sync.sync(jwt, refreshable, sync.forRefresh)).toBe('opened');
    expect(opens.count).toBe(1);
  });

  it('never opens a live identity-service token for a renewal (it mints without it)', async () => {
    const { fx, sync, opens } = setup();
    const state = freshState();
    const item = await storeToken(fx, state, 'tok-a');
    expect(await sync.sync(state, item, sync.forRefresh)).toBe('unopened');
    expect(opens.count).toBe(0);
    expect(state.cached).toBeUndefined();
  });

  it('treats an envelope that does not open in its own item as no token, logging the code only', async () => {
    const { fx, sync } = setup();
    const state = freshState();
    const item = await storeToken(fx, state, 'tok-secret');
    const moved = { ...item, version: item.version + 1 };
    expect(await sync.sync(state, moved, sync.forServing)).toBe('undecryptable');
    expect(state.cached).toBeUndefined();
    expect(fx.logger.entries).toEqual([
      expect.objectContaining({
        level: 'error',
        fields: expect.objectContaining({ code: 'DECRYPT_FAILED' }),
      }),
    ]);
    expect(fx.logger.lines().join('\n')).not.toContain('tok-secret');
  });
});
