import type { Clock } from '../../shared/core/clock.ts';

export interface ManualClock extends Clock {
  advance(ms: number): void;
  /** Moves to `epochMs` unless time is already past it (a wait may have moved it further). */
  advanceTo(epochMs: number): void;
}

/**
 * Simulated time shared by every broker instance and the simulator. A `sleep` moves time forward by
 * its duration and resolves on the next macrotask, so lease polling makes progress without real
 * waiting; time never goes backwards.
 */
export const makeManualClock = (start: number): ManualClock => {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += Math.max(0, ms);
    },
    advanceTo: (epochMs) => {
      now = Math.max(now, epochMs);
    },
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        now += Math.max(0, ms);
        setImmediate(resolve);
      }),
  };
};
