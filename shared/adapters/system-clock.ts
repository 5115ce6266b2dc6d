import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../core/clock.ts';

/** The real clock. The one place outside tests where the broker reads wall-clock time. */
export const systemClock: Clock = {
  now: () => Date.now(),
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    try {
      await delay(ms, undefined, signal ? { signal } : undefined);
    } catch (error) {
      // timers/promises rejects with its own AbortError; the Clock contract (and callers that
      // check `error === signal.reason`) expect the signal's reason.
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
  },
};
