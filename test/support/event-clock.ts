import type { Clock } from '../../shared/core/clock.ts';

export interface EventClock extends Clock {
  /** Sleeps not yet woken. */
  pending(): number;
}

/**
 * Discrete-event time for fleet tests: `sleep(ms)` wakes at now + ms, and time jumps to the
 * earliest pending wake-up only once everything runnable has run (one macrotask later), so
 * concurrent sleepers overlap as they would in real time, yet nothing waits for the wall clock.
 */
export const makeEventClock = (start = Date.UTC(2026, 0, 1)): EventClock => {
  let now = start;
  let seq = 0;
  const timers: { at: number; seq: number; wake: () => void }[] = [];
  let scheduled = false;
  const step = () => {
    scheduled = false;
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = timers.shift();
    if (!next) return;
    now = Math.max(now, next.at);
    next.wake();
    schedule();
  };
  const schedule = () => {
    if (scheduled || timers.length === 0) return;
    scheduled = true;
    // Two turns: promise chains started by the last wake-up (store reads, awaits) run first.
    setImmediate(() => setImmediate(step));
  };
  return {
    now: () => now,
    pending: () => timers.length,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        timers.push({ at: now + Math.max(0, ms), seq: seq++, wake: resolve });
        schedule();
      }),
  };
};
