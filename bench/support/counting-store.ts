import type { TokenStore } from '../../shared/core/token-store.ts';
import { trackStore } from './tracked-store.ts';

export interface CountingStore extends TokenStore {
  /** `read` calls and their summed duration (ms) since the last `take()`. */
  take(): { readonly reads: number; readonly readMs: number };
  /** Waits for every call still running (e.g. the fire-and-forget `touch` after a serve). */
  settle(): Promise<void>;
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Wraps a token store to count `read` calls and time each one from call to settling, so a
 * benchmark can subtract the table's own time from a request's and see what the broker adds.
 */
export const makeCountingStore = (inner: TokenStore): CountingStore => {
  let reads = 0;
  let readMs = 0;
  const running = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    running.add(promise);
    const done = () => running.delete(promise);
    promise.then(done, done);
    return promise;
  };
  const tracked = trackStore(inner, track);
  return {
    ...tracked,
    read: (key) => {
      reads++;
      const start = nowMs();
      return tracked.read(key).finally(() => {
        readMs += nowMs() - start;
      });
    },
    take: () => {
      const taken = { reads, readMs };
      reads = 0;
      readMs = 0;
      return taken;
    },
    settle: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
};
