import { describe, expect, it } from 'vitest';
import { makeClockOffsetEstimator } from '../../shared/core/clock-offset.ts';

/** A server on true time `t` answering a request that left at local `sent` after `rttMs`. */
const sample = (trueAt: number, localOffset: number, rttMs: number) => {
  const sentAt = trueAt + localOffset;
  return {
    sentAt,
    receivedAt: sentAt + rttMs,
    serverDate: Math.floor((trueAt + rttMs / 2) / 1000) * 1000,
  };
};

describe('the clock-offset estimator', () => {
  it('has no bound before its first sample', () => {
    expect(makeClockOffsetEstimator().bound(0)).toBeUndefined();
  });

  it('bounds a 5-minute-slow clock within the Date resolution from one sample', () => {
    const estimator = makeClockOffsetEstimator();
    const local = -5 * 60_000;
    estimator.observe(sample(1_000_000_250, local, 20));
    const bound = estimator.bound(1_000_000_270 + local);
    expect(bound!.lo).toBeLessThanOrEqual(-local);
    expect(bound!.hi).toBeGreaterThanOrEqual(-local);
    expect(bound!.hi - bound!.lo).toBeLessThanOrEqual(1_020 + 1);
  });

  it('narrows well below one second with samples taken at different sub-second phases', () => {
    const estimator = makeClockOffsetEstimator();
    const local = 5 * 60_000 + 123;
    for (let i = 0; i < 10; i++) estimator.observe(sample(2_000_000_000 + i * 1_100, local, 4));
    const bound = estimator.bound(2_000_011_000 + local)!;
    expect(bound.lo).toBeLessThanOrEqual(-local);
    expect(bound.hi).toBeGreaterThanOrEqual(-local);
    expect(bound.hi - bound.lo).toBeLessThan(200);
  });

  it('widens an old sample by the drift it may have accumulated, and forgets it after maxAgeMs', () => {
    const estimator = makeClockOffsetEstimator({ driftPpm: 500, maxAgeMs: 3_600_000 });
    estimator.observe({ sentAt: 0, receivedAt: 0, serverDate: 10_000 });
    expect(estimator.bound(0)).toEqual({ lo: 10_000, hi: 11_000 });
    expect(estimator.bound(1_000_000)).toEqual({ lo: 9_500, hi: 11_500 });
    expect(estimator.bound(3_600_001)).toBeUndefined();
  });

  it('follows a stepped clock: the newest sample wins over older ones it contradicts', () => {
    const estimator = makeClockOffsetEstimator();
    estimator.observe({ sentAt: 0, receivedAt: 10, serverDate: 0 });
    // The local clock was stepped back by 60 s (offset +60 s now).
    estimator.observe({ sentAt: 1_000, receivedAt: 1_010, serverDate: 61_000 });
    const bound = estimator.bound(1_010)!;
    expect(bound.lo).toBeGreaterThanOrEqual(59_990);
    expect(bound.hi).toBeLessThanOrEqual(61_000);
  });

  it('ignores samples that prove nothing: reversed, too slow, not finite', () => {
    const estimator = makeClockOffsetEstimator({ maxRoundTripMs: 5_000 });
    estimator.observe({ sentAt: 10, receivedAt: 5, serverDate: 0 });
    estimator.observe({ sentAt: 0, receivedAt: 6_000, serverDate: 0 });
    estimator.observe({ sentAt: 0, receivedAt: 1, serverDate: Number.NaN });
    expect(estimator.bound(0)).toBeUndefined();
  });

  it('answers a reused bound within a second exactly as a full pass would, and drops it on a new sample', () => {
    const samples = [
      { sentAt: 0, receivedAt: 40, serverDate: 300_000 },
      { sentAt: 2_300, receivedAt: 2_330, serverDate: 302_000 },
      { sentAt: 5_700, receivedAt: 5_720, serverDate: 306_000 },
    ];
    const reused = makeClockOffsetEstimator();
    for (const sample of samples) reused.observe(sample);
    reused.bound(6_000);
    const fresh = makeClockOffsetEstimator();
    for (const sample of samples) fresh.observe(sample);
    const at = (estimator: typeof fresh) => estimator.bound(6_800)!;
    expect(at(reused).lo).toBeCloseTo(at(fresh).lo, 6);
    expect(at(reused).hi).toBeCloseTo(at(fresh).hi, 6);
    // A new sample contradicting the old ones (a stepped clock) is seen at once, not a second later.
    reused.observe({ sentAt: 6_900, receivedAt: 6_910, serverDate: 367_000 });
    expect(reused.bound(6_910)!.lo).toBeGreaterThan(359_000);
  });
});
