import type { Clock } from '../../../../shared/core/clock.ts';

/**
 * A clock that moves only when read: every `now()` returns the current time and then advances it
 * by `stepMs`. A client reads it once before sending and once after receiving, so the simulated
 * round trip is exactly `stepMs`, whatever the real sockets took.
 */
export const makeSteppingClock = (startMs: number, stepMs = 0): Clock & { reads: number } => {
  let current = startMs;
  const clock = {
    reads: 0,
    now() {
      clock.reads++;
      const value = current;
      current += stepMs;
      return value;
    },
    sleep: () => Promise.resolve(),
  };
  return clock;
};
