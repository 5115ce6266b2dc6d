import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeTokenPossession } from '../../shared/core/token-possession.ts';
import { freshState, makeLifecycleFixture, storeToken } from '../support/lifecycle-fixture.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('makeTokenPossession', () => {
  it('proves possession only with the SHA-256 of the current token, opening it from the item', async () => {
    const fx = makeLifecycleFixture();
    const possesses = makeTokenPossession(fx.cipher);
    const state = freshState();
    const item = await storeToken(fx, state, 'tok-current');
    expect(await possesses(state, item, sha('tok-current'))).toBe(true);
    expect(await possesses(state, item, sha('tok-other'))).toBe(false);
  });

  it('uses the plaintext in memory when it holds the current version, with no decrypt', async () => {
    const fx = makeLifecycleFixture();
    const open = async () => {
      throw new Error('must not decrypt');
    };
    const possesses = makeTokenPossession({ ...fx.cipher, open });
    const state = freshState();
    const item = await storeToken(fx, state, 'tok-current');
    const { envelope: _e, ...record } = item.token!;
    state.cached = { ...record, token: 'tok-current', version: item.version, checkedAt: fx.clock.now() };
    expect(await possesses(state, item, sha('tok-current'))).toBe(true);
  });

  it('answers false for an item with no token, or one whose envelope does not open there', async () => {
    const fx = makeLifecycleFixture();
    const possesses = makeTokenPossession(fx.cipher);
    const state = freshState();
    const item = await storeToken(fx, state, 'tok-current');
    expect(await possesses(state, { ...item, token: undefined }, sha('tok-current'))).toBe(false);
    expect(await possesses(state, { ...item, version: item.version + 1 }, sha('tok-current'))).toBe(false);
  });
});
