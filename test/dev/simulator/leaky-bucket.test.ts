import { describe, expect, it } from 'vitest';
import { makeLeakyBuckets, rubyFloat } from '../../../dev/simulator/leaky-bucket.ts';
import { makeSlidingWindowLimit } from '../../../dev/simulator/sliding-window-limit.ts';
import { makeTestClock } from './sim-test-kit.ts';

describe('leaky bucket', () => {
  it('throttles the request that would hold 600 units up front: 11 in flight are fine, the 12th is not', () => {
    const clock = makeTestClock();
    const buckets = makeLeakyBuckets({ now: clock.now });
    const inFlight = Array.from({ length: 11 }, () => buckets.reserve('token:a'));
    expect(inFlight.every((reservation) => reservation !== undefined)).toBe(true);
    expect(buckets.reserve('token:a')).toBeUndefined();
    expect(buckets.reserve('token:b')).toBeDefined();
  });

  it('swaps the up-front reservation for the real cost when a request ends', () => {
    const clock = makeTestClock();
    const buckets = makeLeakyBuckets({ now: clock.now });
    const settled = buckets.reserve('k')?.settle(200);
    expect(settled).toEqual({ cost: 200, remaining: 400 });
    expect(buckets.reserve('k')?.settle(200)).toEqual({ cost: 200, remaining: 200 });
    expect(buckets.reserve('k')?.settle(200)).toEqual({ cost: 200, remaining: 0 });
    expect(buckets.reserve('k')).toBeUndefined();
  });

  it('leaks 10 units a second on the injected clock', () => {
    const clock = makeTestClock();
    const buckets = makeLeakyBuckets({ now: clock.now });
    buckets.reserve('k')?.settle(600);
    expect(buckets.reserve('k')).toBeUndefined();
    clock.advance(10_000);
    expect(buckets.reserve('k')?.settle(0)).toEqual({ cost: 0, remaining: 100 });
  });

  it('gives the reservation back to a request that never got an answer', () => {
    const clock = makeTestClock();
    const buckets = makeLeakyBuckets({ now: clock.now });
    const held = Array.from({ length: 11 }, () => buckets.reserve('k'));
    for (const reservation of held) reservation?.release();
    expect(buckets.reserve('k')?.settle(0).remaining).toBe(600);
  });

  it('does not fill up when the clock moves backwards', () => {
    const clock = makeTestClock();
    const buckets = makeLeakyBuckets({ now: clock.now });
    buckets.reserve('k')?.settle(100);
    clock.advance(-60_000);
    expect(buckets.reserve('k')?.settle(0).remaining).toBe(500);
  });

  it('prints figures the way Canvas (Ruby) does', () => {
    expect(rubyFloat(600)).toBe('600.0');
    expect(rubyFloat(0)).toBe('0.0');
    expect(rubyFloat(599.95)).toBe('599.95');
    expect(rubyFloat(0.1 + 0.2)).toBe('0.3');
  });
});

describe('sliding window limit', () => {
  it('allows 5 calls a minute and says when the next one will be allowed', () => {
    const clock = makeTestClock();
    const limit = makeSlidingWindowLimit({ now: clock.now, limit: 5, windowMs: 60_000 });
    for (let i = 0; i < 5; i += 1) {
      expect(limit.take('a').ok).toBe(true);
      clock.advance(1000);
    }
    expect(limit.take('a')).toEqual({ ok: false, retryAfterSeconds: 55 });
    expect(limit.take('b').ok).toBe(true);
    clock.advance(55_000);
    expect(limit.take('a').ok).toBe(true);
  });
});
