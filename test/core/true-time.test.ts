import { describe, expect, it } from 'vitest';
import { makeClockOffsetEstimator } from '../../shared/core/clock-offset.ts';
import { makeTrueTime } from '../../shared/core/true-time.ts';
import { makeFakeClock } from '../support/fake-clock.ts';

describe('true time', () => {
  it('corrects the local clock by the measured offset, within its uncertainty', () => {
    const local = makeFakeClock(1_000_000_000 - 300_000); // 5 min slow
    const estimator = makeClockOffsetEstimator();
    estimator.observe({ sentAt: local.now(), receivedAt: local.now(), serverDate: 1_000_000_000 });
    const time = makeTrueTime(local, estimator, 1_500);
    expect(time.uncertaintyMs()).toBe(500);
    expect(Math.abs(time.now() - 1_000_000_000)).toBeLessThanOrEqual(time.uncertaintyMs());
    expect(time.earliest()).toBeLessThanOrEqual(1_000_000_000);
    expect(time.latest()).toBeGreaterThanOrEqual(1_000_000_000);
    expect(time.offsetMs()).toBe(300_500);
  });

  it('is unbounded without a sample, or with a bound wider than it accepts', () => {
    const local = makeFakeClock();
    const estimator = makeClockOffsetEstimator();
    expect(makeTrueTime(local, estimator, 1_500).uncertaintyMs()).toBe(Number.POSITIVE_INFINITY);
    estimator.observe({ sentAt: local.now(), receivedAt: local.now() + 4_000, serverDate: local.now() });
    expect(makeTrueTime(local, estimator, 1_500).uncertaintyMs()).toBe(Number.POSITIVE_INFINITY);
    expect(makeTrueTime(local, estimator, 3_000).uncertaintyMs()).toBeCloseTo(2_500, -1);
  });

  it('without an estimator takes the local clock as true within the tolerance', () => {
    const local = makeFakeClock();
    const time = makeTrueTime(local, undefined, 1_500);
    expect(time.now()).toBe(local.now());
    expect(time.uncertaintyMs()).toBe(1_500);
  });
});
