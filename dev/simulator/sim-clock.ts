/**
 * The simulator's notion of time: an injectable base clock plus an offset that `/__sim/clock`
 * can skew. Every time-dependent rule (token iat/exp, refresh windows, rate-limit buckets, the
 * `Date` header) reads this clock, so tests can move time without waiting.
 */
export interface SimClock {
  /** Epoch milliseconds. */
  now(): number;
  /** Whole epoch seconds, as JWT claims use. */
  nowSeconds(): number;
  offsetSeconds(): number;
  setOffsetSeconds(seconds: number): void;
}

export const makeSimClock = (base: () => number): SimClock => {
  let offsetMs = 0;
  const now = (): number => base() + offsetMs;
  return {
    now,
    nowSeconds: () => Math.floor(now() / 1000),
    offsetSeconds: () => offsetMs / 1000,
    setOffsetSeconds: (seconds) => {
      offsetMs = Math.round(seconds * 1000);
    },
  };
};
