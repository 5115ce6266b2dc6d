import type { Clock } from './clock.ts';
import type { ClockOffsetEstimator } from './clock-offset.ts';

/**
 * This instance's best knowledge of true time (the servers' time: the upstream's and AWS's, which
 * agree through NTP): the local clock corrected by the measured offset, and how far it may still be
 * off. Every expiry and hold decision of the core reads time through this.
 */
export interface TrueTime {
  /** The estimate (the bound's midpoint); the local clock while unbounded. */
  now(): number;
  /** True time lies within `now() ± uncertaintyMs()`; Infinity when the offset is not bounded. */
  uncertaintyMs(): number;
  /** The earliest true time can be (stamps that must not make a hold end late for others). */
  earliest(): number;
  /** The latest true time can be (stamps that must not make a hold end early for others). */
  latest(): number;
  /** The estimated offset (true − local), for the ClockOffset metric; undefined while unbounded. */
  offsetMs(): number | undefined;
  /** The local clock, whose differences measure elapsed time whatever its offset. */
  readonly local: Clock;
}

/**
 * With an estimator: measured time. The rule for an instance that cannot bound its offset (no
 * sample yet, or a half-width above `maxUncertaintyMs`): its uncertainty is infinite, so no stored
 * token is provably valid, no lease or hold it did not see start is provably over, and it starts no
 * refresh; callers get 503 `CLOCK_UNBOUNDED` with Retry-After. Its next response with a `Date`
 * (the table read every request makes) bounds it again.
 *
 * Without an estimator: assumed time, the local clock taken as true within `maxUncertaintyMs`
 * (for compositions whose clock is the reference by construction, such as unit tests on a fake clock).
 */
export const makeTrueTime = (
  local: Clock,
  estimator: ClockOffsetEstimator | undefined,
  maxUncertaintyMs: number,
): TrueTime => {
  const read = (): { now: number; u: number; offset: number | undefined } => {
    const localNow = local.now();
    if (!estimator) return { now: localNow, u: maxUncertaintyMs, offset: 0 };
    const bound = estimator.bound(localNow);
    if (!bound) return { now: localNow, u: Number.POSITIVE_INFINITY, offset: undefined };
    const u = (bound.hi - bound.lo) / 2;
    const offset = Math.round((bound.lo + bound.hi) / 2);
    if (u > maxUncertaintyMs) return { now: localNow, u: Number.POSITIVE_INFINITY, offset };
    return { now: localNow + offset, u, offset };
  };
  return {
    now: () => read().now,
    uncertaintyMs: () => read().u,
    earliest: () => {
      const { now, u } = read();
      return now - u;
    },
    latest: () => {
      const { now, u } = read();
      return now + u;
    },
    offsetMs: () => read().offset,
    local,
  };
};

/** The corrected clock handed to the core's time rules; sleeping is the local clock's. */
export const trueClock = (time: TrueTime): Clock => ({
  now: () => time.now(),
  sleep: (ms, signal) => time.local.sleep(ms, signal),
});
