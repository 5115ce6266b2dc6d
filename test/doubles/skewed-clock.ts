import type { Clock } from '../../shared/core/clock.ts';

/**
 * A clock that reads `offsetMs` ahead of (or, when negative, behind) `base`, for tests and benches
 * of instances whose clocks disagree. Only the reading is shifted: a sleep lasts as long as on the
 * base clock, as on a real machine whose clock is merely set wrong.
 */
export const makeSkewedClock = (base: Clock, offsetMs: number): Clock => ({
  now: () => base.now() + offsetMs,
  sleep: (ms, signal) => base.sleep(ms, signal),
});
