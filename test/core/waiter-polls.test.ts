import { describe, expect, it } from 'vitest';
import type { Broker } from '../../shared/core/broker.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import type { UpstreamClient } from '../../shared/core/upstream-client.ts';
import { makeMemoryTokenStore } from '../doubles/memory-token-store.ts';
import { ALICE, makeInstance } from '../support/core-harness.ts';
import { makeEventClock } from '../support/event-clock.ts';
import { makeFakeUpstream } from '../support/fake-upstream.ts';

/**
 * Issue 10 item 6: callers on instances that lost the lease poll the table on a schedule derived
 * from the observed renewal time. Eight instances over one store, each asked three times at once
 * for a new variant per round; upstream takes `mintMs` of simulated time. Reads are counted at the
 * store seam, time is discrete-event (no wall clock).
 */
const INSTANCES = 8;
const CALLERS_PER_INSTANCE = 3;

/** `hint: false` hides the holder's `renewalMs` from readers, as items written before it existed. */
const fleetRounds = async (mintMs: number, rounds: number, { hint = true } = {}) => {
  const clock = makeEventClock();
  const fake = makeFakeUpstream(clock);
  const upstream: UpstreamClient = {
    mint: async (request) => {
      await clock.sleep(mintMs);
      return fake.mint(request);
    },
  };
  const shared = makeMemoryTokenStore();
  const reads = new Array<number>(INSTANCES).fill(0);
  const counted = (i: number): TokenStore =>
    new Proxy(shared, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver);
        if (name !== 'read' || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          reads[i]!++;
          const item = await value.apply(target, args);
          if (hint || !item?.token) return item;
          const { renewalMs: _hidden, ...token } = item.token;
          return { ...item, token };
        };
      },
    });
  const brokers: Broker[] = Array.from(
    { length: INSTANCES },
    (_, i) =>
      makeInstance({ clock, upstream, store: counted(i), instanceId: `i-${i}`, random: () => 0.5 }).broker,
  );
  const perRound: number[] = [];
  for (let round = 0; round < rounds; round++) {
    reads.fill(0);
    const params = { canvasAudience: false, contextType: 'Course', contextId: String(round) };
    const served = await Promise.all(
      brokers.flatMap((broker, i) =>
        Array.from({ length: CALLERS_PER_INSTANCE }, () =>
          broker.getToken(ALICE, { credentialId: 'canvas-jwt', params }).then((s) => ({ i, tier: s.tier })),
        ),
      ),
    );
    const minters = new Set(served.filter((s) => s.tier === 'upstream').map((s) => s.i));
    expect(minters.size).toBe(1);
    const waiting = reads.filter((_, i) => !minters.has(i));
    perRound.push(waiting.reduce((a, b) => a + b, 0) / waiting.length);
  }
  return { perRound, mints: fake.calls.mint };
};

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

describe('callers waiting on another instance’s mint', () => {
  it('read the table at most 3 times per waiting instance per mint on average when a mint takes 20 ms', async () => {
    const { perRound, mints } = await fleetRounds(20, 6);
    expect(mints).toBe(6);
    expect(mean(perRound)).toBeLessThanOrEqual(3);
    // The read that found no item, then the one after the holder's expected end: no lease re-read.
    for (const reads of perRound.slice(1)) expect(reads).toBeLessThanOrEqual(2);
  });

  it('learn a slow upstream’s pace: after the first mint they need two or three reads, not a poll every doubling', async () => {
    const { perRound, mints } = await fleetRounds(600, 8);
    expect(mints).toBe(8);
    // The first round runs on the initial guess (50 ms); every later one on the learned pace.
    expect(mean(perRound)).toBeLessThanOrEqual(3);
    for (const reads of perRound.slice(1)) expect(reads).toBeLessThanOrEqual(3);
  });

  it('learn the pace exactly from the renewal time the holder wrote on the token', async () => {
    const hinted = await fleetRounds(600, 8);
    const bracketed = await fleetRounds(600, 8, { hint: false });
    // With the holder's own measure, each later round is the read that found the lease (or no
    // item) and the one that finds the token; bracketing it between polls costs more.
    for (const reads of hinted.perRound.slice(1)) expect(reads).toBeLessThanOrEqual(2);
    expect(mean(hinted.perRound.slice(1))).toBeLessThan(mean(bracketed.perRound.slice(1)));
  });
});
