import { describe, expect, it } from 'vitest';
import { makeClockOffsetEstimator } from '../../shared/core/clock-offset.ts';
import { makeHoldTracker } from '../../shared/core/hold-tracker.ts';
import { makeTrueTime } from '../../shared/core/true-time.ts';
import { type FakeClock, makeFakeClock } from '../support/fake-clock.ts';

const TRUE_START = 2_000_000_000_000;
const CAPS = { leaseMs: 40_000, failureMs: 300_000, uncertaintyMs: 1_500 };

/** An instance whose clock reads `skewMs` off true time, with one sample from a server on true time. */
const instance = (world: FakeClock, skewMs: number) => {
  const local = makeFakeClock(world.now() + skewMs);
  const estimator = makeClockOffsetEstimator();
  estimator.observe({
    sentAt: local.now(),
    receivedAt: local.now(),
    serverDate: Math.floor(world.now() / 1000) * 1000,
  });
  const time = makeTrueTime(local, estimator, CAPS.uncertaintyMs);
  return { local, time, holds: makeHoldTracker(time, CAPS) };
};

const advance = (ms: number, ...clocks: FakeClock[]) => {
  for (const clock of clocks) clock.advance(ms);
};

describe('the hold tracker on measured time', () => {
  it('never ends early a lease written by an instance whose clock is 5 min slow', () => {
    const world = makeFakeClock(TRUE_START + 400);
    const slow = instance(world, -5 * 60_000);
    const fast = instance(world, 5 * 60_000);
    const lease = { id: 'l1', at: slow.time.latest(), ms: 40_000 };
    slow.holds.register(lease);
    advance(39_999, world, slow.local, fast.local);
    expect(fast.holds.passed(lease)).toBe(false);
    expect(slow.holds.passed(lease)).toBe(false);
    // Trusted by stamp once surely over: at most both uncertainties late.
    advance(2_001, world, slow.local, fast.local);
    expect(fast.holds.passed(lease)).toBe(true);
  });

  it('takes over a lease with a garbage far-future stamp at most its (capped) duration after first sight', () => {
    const world = makeFakeClock(TRUE_START);
    const reader = instance(world, 0);
    const lease = { id: 'l2', at: TRUE_START + 86_400_000, ms: 10 * 86_400_000 };
    expect(reader.holds.passed(lease)).toBe(false);
    expect(reader.holds.remainingMs(lease)).toBe(CAPS.leaseMs);
    advance(CAPS.leaseMs, world, reader.local);
    expect(reader.holds.passed(lease)).toBe(true);
  });

  it('gives a Retry-After after which the failure hold has passed on every instance, whatever their skew', () => {
    for (const [writerSkew, readerSkew] of [
      [-300_000, 300_000],
      [300_000, -300_000],
      [0, 0],
      [-300_000, -300_000],
    ] as const) {
      const world = makeFakeClock(TRUE_START + 700);
      const writer = instance(world, writerSkew);
      const reader = instance(world, readerSkew);
      const failure = {
        id: `f${writerSkew}${readerSkew}`,
        at: writer.time.now(),
        ms: 1_000,
        kind: 'failure' as const,
      };
      writer.holds.register(failure);
      const retryAfterSeconds = Math.max(1, Math.ceil(writer.holds.retryAfterMs(failure) / 1000));
      // The reader first sees the hold only now (as after the caller's retry): no own-clock help.
      advance(retryAfterSeconds * 1000, world, writer.local, reader.local);
      expect(reader.holds.passed(failure)).toBe(true);
      expect(writer.holds.passed(failure)).toBe(true);
    }
  });

  it('holds a failure for its duration on instances with equally measured clocks', () => {
    const world = makeFakeClock(TRUE_START + 250);
    const writer = instance(world, -300_000);
    const reader = instance(world, 300_000);
    const failure = { id: 'f', at: writer.time.now(), ms: 8_000, kind: 'failure' as const };
    advance(7_999, world, writer.local, reader.local);
    expect(reader.holds.passed(failure)).toBe(false);
    advance(1, world, writer.local, reader.local);
    expect(reader.holds.passed(failure)).toBe(true);
  });

  it('caps a stored failure hold at the longest one an instance writes', () => {
    const world = makeFakeClock(TRUE_START);
    const reader = instance(world, 0);
    const failure = { id: 'f-long', at: reader.time.now(), ms: 30 * 86_400_000, kind: 'failure' as const };
    advance(CAPS.failureMs, world, reader.local);
    expect(reader.holds.passed(failure)).toBe(true);
  });

  it('without a bound trusts no stamp, only its own clock from first sight', () => {
    const local = makeFakeClock(TRUE_START);
    const holds = makeHoldTracker(makeTrueTime(local, makeClockOffsetEstimator(), 1_500), CAPS);
    const old = { id: 'old', at: TRUE_START - 86_400_000, ms: 10_000 };
    expect(holds.passed(old)).toBe(false);
    local.advance(10_000);
    expect(holds.passed(old)).toBe(true);
  });
});
