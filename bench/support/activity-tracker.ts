import { setImmediate as nextTurn } from 'node:timers/promises';
import type { TokenStore } from '../../shared/core/token-store.ts';
import { trackStore } from './tracked-store.ts';

export interface ActivityTracker {
  wrapStore(store: TokenStore): TokenStore;
  /** A fetch whose whole exchange, body included, counts as activity. */
  readonly fetch: typeof fetch;
  /** Resolves once no table call and no upstream exchange has been in flight for a few event-loop turns. */
  quiesce(): Promise<void>;
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);
/** Turns with nothing in flight before the broker counts as idle: covers the awaits between two calls. */
const IDLE_TURNS = 3;

/**
 * Knows when the broker instances have stopped working: what a simulation on a manual clock needs
 * before moving time on. Without it simulated minutes would pass while a background renewal is
 * still talking to the table or upstream, its 15-second lease would "expire" in simulated time, and
 * the next instance would take it over: a second upstream call that real time never produces.
 */
export const makeActivityTracker = (): ActivityTracker => {
  const running = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    running.add(promise);
    const done = () => running.delete(promise);
    promise.then(done, done);
    return promise;
  };
  const trackedFetch = (async (input, init) => {
    const response = await fetch(input, init);
    const body = NULL_BODY_STATUSES.has(response.status) ? null : await response.arrayBuffer();
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }) as typeof fetch;
  return {
    wrapStore: (store) => trackStore(store, track),
    fetch: (input, init) => track(trackedFetch(input, init)),
    quiesce: async () => {
      for (let idle = 0; idle < IDLE_TURNS; ) {
        if (running.size > 0) {
          idle = 0;
          await Promise.allSettled([...running]);
        } else {
          idle++;
        }
        await nextTurn();
      }
    },
  };
};
