import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenStore } from '../../shared/core/token-store.ts';
import { makeMemoryTokenStore } from '../../test/doubles/memory-token-store.ts';
import { seededRandom } from './seeded-random.ts';
import { wrapStoreCalls } from './tracked-store.ts';

export interface TableLatency {
  /** The fastest and slowest round trip of one call, ms (drawn uniformly, seeded). */
  readonly minMs: number;
  readonly maxMs: number;
}

/** DynamoDB's "single-digit millisecond" as a Lambda in the table's region sees it, typical calls. */
export const DYNAMODB_LIKE_LATENCY: TableLatency = { minMs: 3, maxMs: 6 };

export interface ModeledTable {
  readonly latency: TableLatency;
  /** One instance's connection to the table: each call crosses the network both ways. */
  storeFor(): TokenStore;
}

/**
 * One shared table shaped like DynamoDB as a fleet of Lambda instances meets it: every call is a
 * round trip of a few milliseconds, and calls from different instances are served in parallel,
 * each applied atomically halfway through its round trip (where DynamoDB evaluates a conditional
 * write). The table itself is the in-memory adapter, which passes the same contract suite as the
 * DynamoDB adapter, so leases, fences and holds behave exactly as they do on DynamoDB.
 *
 * Why P1 needs it beside dynalite: dynalite answers one request at a time, and in one benchmark
 * process the 8 "instances" share one event loop, so every instance's AWS SDK work (about 3.7 ms
 * of CPU per call on this kind of machine) queues behind every other's. On Lambda each instance
 * has its own CPU and DynamoDB serves them in parallel. A cold burst on dynalite measures that
 * queue; on this table it measures the broker's protocol and code.
 */
export const makeModeledTable = (latency: TableLatency = DYNAMODB_LIKE_LATENCY, seed = 10): ModeledTable => {
  const table = makeMemoryTokenStore();
  const random = seededRandom(seed);
  const halfTrip = () => (latency.minMs + (latency.maxMs - latency.minMs) * random()) / 2;
  return {
    latency,
    storeFor: () =>
      wrapStoreCalls(table, async (call) => {
        await sleep(halfTrip());
        const answer = await call();
        await sleep(halfTrip());
        return answer;
      }),
  };
};
