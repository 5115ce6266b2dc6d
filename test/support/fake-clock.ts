import type { Clock } from '../../shared/core/clock.ts';

export interface FakeClock extends Clock {
  advance(ms: number): void;
  set(epochMs: number): void;
}

/**
 * A clock that only moves when told to, or when someone sleeps: `sleep(ms)` moves time forward by
 * `ms` and resolves on the next macrotask, so polling loops make progress without real waiting.
 */
export const makeFakeClock = (start = Date.UTC(2026, 0, 1)): FakeClock => {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    set: (epochMs) => {
      now = epochMs;
    },
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        now += Math.max(0, ms);
        setImmediate(resolve);
      }),
  };
};

/** An instance whose clock reads `offsetMs` away from a shared base clock. */
export const skewed = (base: Clock, offsetMs: number): Clock => ({
  now: () => base.now() + offsetMs,
  sleep: (ms, signal) => base.sleep(ms, signal),
});
