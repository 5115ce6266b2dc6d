import { describe, expect, it } from 'vitest';
import { makeCredentialHolds } from '../../shared/core/credential-holds.ts';
import { StoreUnavailableError } from '../../shared/core/errors.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import { freshState, makeLifecycleFixture } from '../support/lifecycle-fixture.ts';

const setup = () => {
  const fx = makeLifecycleFixture();
  const reads = { count: 0 };
  const store: TokenStore = {
    ...fx.store,
    readCredentialHold: (id) => {
      reads.count++;
      return fx.store.readCredentialHold(id);
    },
  };
  return { fx, reads, holds: makeCredentialHolds({ ...fx, store }) };
};

const throttle = (at: number, ms = 60_000) => ({ id: 'h-1', code: 'UPSTREAM_RETRYABLE' as const, at, ms });

describe('makeCredentialHolds', () => {
  it('reads the credential hold and answers none when there is none', async () => {
    const { reads, holds } = setup();
    expect(await holds.live(freshState())).toBeUndefined();
    expect(reads.count).toBe(1);
  });

  it('finds a live hold another instance wrote, then knows it without reading again', async () => {
    const { fx, reads, holds } = setup();
    await fx.store.putCredentialHold('dap', throttle(fx.clock.now()));
    expect(await holds.live(freshState())).toMatchObject({ id: 'h-1' });
    expect(holds.heldLocally('dap')).toBe(true);
    expect(await holds.live(freshState())).toMatchObject({ id: 'h-1' });
    expect(reads.count).toBe(1);
  });

  it('ignores a hold that has passed, and forgets a known one once it passes', async () => {
    const { fx, holds } = setup();
    holds.remember('dap', throttle(fx.clock.now(), 10_000));
    expect(holds.heldLocally('dap')).toBe(true);
    fx.clock.advance(20_000);
    expect(holds.heldLocally('dap')).toBe(false);
    await fx.store.putCredentialHold('dap', throttle(fx.clock.now() - 30_000, 10_000));
    expect(await holds.live(freshState())).toBeUndefined();
  });

  it('fails open when the hold cannot be read, with a warning naming only the code', async () => {
    const { fx } = setup();
    const store: TokenStore = {
      ...fx.store,
      readCredentialHold: async () => {
        throw new StoreUnavailableError('DynamoDB said something long and internal');
      },
    };
    const holds = makeCredentialHolds({ ...fx, store });
    expect(await holds.live(freshState())).toBeUndefined();
    expect(fx.logger.entries).toEqual([
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({ error: 'STORE_UNAVAILABLE' }),
      }),
    ]);
  });

  it('answers a held credential with a 503 whose Retry-After covers the rest of the hold', () => {
    const { fx, holds } = setup();
    const hold = throttle(fx.clock.now(), 60_000);
    fx.clock.advance(15_000);
    const error = holds.unavailable(freshState(), hold);
    expect(error.code).toBe('TOKEN_UNAVAILABLE');
    expect(error.details).toEqual({ reason: 'CREDENTIAL_THROTTLED', heldFor: 'UPSTREAM_RETRYABLE' });
    // 45 s left, plus this instance's uncertainty so every instance sees it passed.
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(45);
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(48);
    expect(fx.metrics.points).toEqual([
      { name: 'Unavailable', value: 1, unit: 'Count', dimensions: { credentialId: 'dap' } },
    ]);
  });
});
