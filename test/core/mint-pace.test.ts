import { describe, expect, it } from 'vitest';
import { makeMintPace } from '../../shared/core/mint-pace.ts';

describe('makeMintPace', () => {
  it('expects the initial time until it has observed a renewal', () => {
    const pace = makeMintPace({ initialMs: 50, maxMs: 400, maxExpectedMs: 40_000 });
    expect(pace.expectedMs()).toBe(50);
  });

  it('moves its estimate toward observed renewals without one outlier owning it', () => {
    const pace = makeMintPace({ initialMs: 50, maxMs: 400, maxExpectedMs: 40_000 });
    pace.observe(20);
    // The first observation replaces the guess.
    expect(pace.expectedMs()).toBe(20);
    for (let i = 0; i < 20; i++) pace.observe(20);
    expect(pace.expectedMs()).toBeCloseTo(20, 0);
    pace.observe(400);
    expect(pace.expectedMs()).toBeLessThan(140);
    pace.observe(Number.NaN);
    pace.observe(-5);
    expect(pace.expectedMs()).toBeLessThan(140);
  });

  it('polls first just after the holder should be done, counting the lease age already past', () => {
    const pace = makeMintPace({ initialMs: 20, maxMs: 400, maxExpectedMs: 40_000 });
    // jitter 0.5 is the middle of the spread: no stretch.
    expect(pace.waitMs(0, 0, 0.5)).toBeCloseTo(25, 5);
    expect(pace.waitMs(0, 15, 0.5)).toBeCloseTo(10, 5);
    // A lease older than the expected time: poll again soon, never at once.
    expect(pace.waitMs(0, 500, 0.5)).toBe(5);
  });

  it('targets a slow holder’s expected end even beyond the longest poll interval', () => {
    const pace = makeMintPace({ initialMs: 50, maxMs: 400, maxExpectedMs: 40_000 });
    for (let i = 0; i < 30; i++) pace.observe(2_000);
    expect(pace.expectedMs()).toBeCloseTo(2_000, 0);
    expect(pace.waitMs(0, 0, 0.5)).toBeCloseTo(2_500, 0);
    expect(pace.waitMs(1, 0, 0.5)).toBe(400);
  });

  it('then backs off from half the expected time, doubling up to the maximum', () => {
    const pace = makeMintPace({ initialMs: 20, maxMs: 400, maxExpectedMs: 40_000 });
    const waits = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => pace.waitMs(attempt, 0, 0.5));
    expect(waits).toEqual([10, 20, 40, 80, 160, 320, 400, 400]);
  });

  it('spreads instances by at most ±10 %', () => {
    const pace = makeMintPace({ initialMs: 100, maxMs: 400, maxExpectedMs: 40_000 });
    expect(pace.waitMs(1, 0, 0)).toBeCloseTo(45, 5);
    expect(pace.waitMs(1, 0, 0.999_999)).toBeCloseTo(55, 3);
  });
});
