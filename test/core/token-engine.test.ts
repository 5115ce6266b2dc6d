import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDynamoDbTokenStore } from '../../shared/adapters/aws/dynamodb-token-store.ts';
import { DEFAULT_SETTINGS } from '../../shared/core/broker-settings.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import { variantId } from '../../shared/core/variant-id.ts';
import { ALICE, makeInstance } from '../support/core-harness.ts';
import { createTestTable, startTestDynamo, type TestDynamo } from '../support/dynamodb.ts';
import { makeFakeClock } from '../support/fake-clock.ts';
import { makeFakeUpstream } from '../support/fake-upstream.ts';

const MIN = 60_000;
const DAP_KEY = { credentialId: 'dap', variantId: variantId({}) };

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(() => dynamo.stop());

const freshStore = async (): Promise<TokenStore> =>
  makeDynamoDbTokenStore({
    client: dynamo.client,
    tableName: await createTestTable(dynamo.client, 'engine'),
    mintHistoryMs: 86_400_000,
  });

/** Tracks whether a promise has settled, without awaiting it. */
const track = <T>(promise: Promise<T>) => {
  const state = { settled: false };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
};

describe('callers waiting on one variant with different needs (over DynamoDB)', () => {
  it('serves a caller the current token covers at once, while a longer need waits for another instance’s refresh', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock);
    const store = await freshStore();
    const minter = makeInstance({ clock, upstream, store, instanceId: 'minter' });
    const first = await minter.broker.getToken(ALICE, { credentialId: 'dap' });
    // 540 s of guaranteed life left (3600 - 60 skew - 3000), not yet due for renewal.
    clock.advance(50 * MIN);
    const [item] = await store.list('dap');
    // Another instance is refreshing, slowly: its lease is held for the whole lease duration.
    const lease = { id: 'slow-holder', owner: 'other', at: clock.now(), ms: DEFAULT_SETTINGS.maxWaitMs / 2 }; // lapses within one wait
    expect(
      await store.acquireLease(DAP_KEY, { kind: 'identity-service', params: {} }, lease, {
        version: item!.version,
      }),
    ).toBe(true);

    // A fresh instance: nothing in memory, so both callers go to the same table-read cycle.
    const waiter = makeInstance({ clock, upstream, store, instanceId: 'waiter' });
    const start = clock.now();
    const long = waiter.broker.getToken(ALICE, { credentialId: 'dap', minTtlSeconds: 900 });
    const longState = track(long);
    const any = await waiter.broker.getToken(ALICE, { credentialId: 'dap', minTtlSeconds: 0 });

    expect(any.token).toBe(first.token);
    expect(any.expiresIn).toBeGreaterThanOrEqual(539);
    // Served from the first table read: no wait on the lease (polls move the fake clock), no new
    // mint, and the 900 s caller is still waiting for the holder.
    expect(clock.now() - start).toBeLessThan(DEFAULT_SETTINGS.leaseMs / 2);
    expect(upstream.calls.mint).toBe(1);
    expect(longState.settled).toBe(false);

    // The holder never finishes: the 900 s caller takes over once the lease lapses and gets a new token.
    const renewed = await long;
    expect(renewed.token).not.toBe(first.token);
    expect(renewed.expiresIn).toBeGreaterThanOrEqual(900);
    expect(upstream.calls.mint).toBe(2);
  });

  it('does not hand a shorter need the refusal meant for a longer one', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock);
    upstream.lifetimeMs = 20 * MIN; // a fresh token guarantees 19 min, so 1800 s is unsatisfiable
    const store = await freshStore();
    const { broker } = makeInstance({ clock, upstream, store });
    await broker.getToken(ALICE, { credentialId: 'dap' });
    clock.advance(14 * MIN); // 5 min left: covers neither caller
    const [tooLong, modest] = await Promise.allSettled([
      broker.getToken(ALICE, { credentialId: 'dap', minTtlSeconds: 1800 }),
      broker.getToken(ALICE, { credentialId: 'dap', minTtlSeconds: 600 }),
    ]);
    expect(tooLong).toMatchObject({ status: 'rejected', reason: { code: 'MIN_TTL_UNSATISFIABLE' } });
    expect(modest).toMatchObject({ status: 'fulfilled', value: { tier: 'upstream' } });
    expect(upstream.calls.mint).toBe(2);
  });
});
