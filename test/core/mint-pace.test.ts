import { describe, expect, it } from 'vitest';
import { makeMintPace, makeMintPaces } from '../../shared/core/mint-pace.ts';

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
    expect(pace.expectedMs()).toBe(20);
    pace.observe(Number.NaN);
    pace.observe(-5);
    expect(pace.expectedMs()).toBe(20);
  });

  it('is not held back by a cold first renewal: a few renewals at the real pace move it there', () => {
    const pace = makeMintPace({ initialMs: 50, maxMs: 400, maxExpectedMs: 40_000 });
    pace.observe(72);
    expect(pace.expectedMs()).toBe(72);
    pace.observe(24);
    // Of two, the sooner: a poll too early costs one read, one too late costs every waiter.
    expect(pace.expectedMs()).toBe(24);
    pace.observe(26);
    pace.observe(21);
    expect(pace.expectedMs()).toBe(24);
  });

  it('follows a lasting change of pace within a few renewals', () => {
    const pace = makeMintPace({ initialMs: 50, maxMs: 400, maxExpectedMs: 40_000 });
    for (let i = 0; i < 10; i++) pace.observe(20);
    for (let i = 0; i < 2; i++) pace.observe(300);
    expect(pace.expectedMs()).toBe(20);
    pace.observe(300);
    expect(pace.expectedMs()).toBe(300);
  });

  it('polls first just after the holder should be done, counting the lease age already past', () => {
    const pace = makeMintPace({ initialMs: 20, maxMs: 400, maxExpectedMs: 40_000 });
    // jitter 0.5 is the middle of the spread: no stretch.
    expect(pace.waitMs(0, 0, 0.5)).toBeCloseTo(23, 5);
    expect(pace.waitMs(0, 15, 0.5)).toBeCloseTo(8, 5);
    // A lease older than the expected time: poll again soon, never at once.
    expect(pace.waitMs(0, 500, 0.5)).toBe(5);
  });

  it('targets a slow holder’s expected end even beyond the longest poll interval', () => {
    const pace = makeMintPace({ initialMs: 50, maxMs: 400, maxExpectedMs: 40_000 });
    for (let i = 0; i < 30; i++) pace.observe(2_000);
    expect(pace.expectedMs()).toBeCloseTo(2_000, 0);
    expect(pace.waitMs(0, 0, 0.5)).toBeCloseTo(2_300, 0);
    expect(pace.waitMs(1, 0, 0.5)).toBe(400);
  });

  it('then backs off from half the expected time, doubling up to the maximum', () => {
    const pace = makeMintPace({ initialMs: 20, maxMs: 400, maxExpectedMs: 40_000 });
    const waits = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => pace.waitMs(attempt, 0, 0.5));
    expect(waits).toEqual([10, 20, 40, 80, 160, 320, 400, 400]);
  });

  it('spreads instances by at most ±5 %', () => {
    const pace = makeMintPace({ initialMs: 100, maxMs: 400, maxExpectedMs: 40_000 });
    expect(pace.waitMs(1, 0, 0)).toBeCloseTo(47.5, 5);
    expect(pace.waitMs(1, 0, 0.999_999)).toBeCloseTo(52.5, 3);
  });
});

describe('makeMintPaces', () => {
  const options = { initialMs: 50, maxMs: 400, maxExpectedMs: 40_000 };

  it('keeps each credential’s pace apart: a slow upstream does not slow the waiters of a fast one', () => {
    const paces = makeMintPaces(options);
    for (let i = 0; i < 5; i++) {
      paces.of('dap').observe(120);
      paces.of('canvas-jwt').observe(15);
    }
    expect(paces.of('dap').expectedMs()).toBe(120);
    expect(paces.of('canvas-jwt').expectedMs()).toBe(15);
  });

  it('expects a credential it has not seen renew to take what this instance’s renewals take, never less than the first poll', () => {
    const paces = makeMintPaces(options);
    expect(paces.of('new').expectedMs()).toBe(50);
    for (let i = 0; i < 5; i++) paces.of('canvas-jwt').observe(15);
    expect(paces.of('new').expectedMs()).toBe(50);
    for (let i = 0; i < 5; i++) paces.of('dap').observe(300);
    expect(paces.of('other').expectedMs()).toBe(300);
    paces.of('other').observe(20);
    expect(paces.of('other').expectedMs()).toBe(20);
  });
});
