import type { Broker } from '../shared/core/broker.ts';
import { BENCH_CALLER, startTestbed } from './support/broker-testbed.ts';
import { type CountingStore, makeCountingStore } from './support/counting-store.ts';
import { distribution, round } from './support/percentiles.ts';

const WARMUP = 50;
const ITERATIONS = 300;
const TARGET_OVERHEAD_MS = 1;

export interface MissSample {
  readonly iterations: number;
  readonly readsPerMiss: { readonly min: number; readonly max: number };
  readonly readMedianMs: number;
  readonly totalMedianMs: number;
  readonly overheadMedianMs: number;
  readonly overheadP99Ms: number;
}

export interface P3Result {
  readonly tableReads: number;
  readonly overheadMs: number;
  readonly overheadP99Ms: number;
  readonly readMedianMs: number;
  readonly totalMedianMs: number;
  readonly iterations: number;
  /** What `tableReads`/`overheadMs` report: a new instance (empty memory) per request, so every hit decrypts. */
  readonly mode: 'new-instance';
  /** The other kind of miss: a warm instance re-checking its token against the table (no decrypt). */
  readonly recheck: MissSample;
  readonly target: { readonly tableReads: 1; readonly overheadMs: number };
  readonly met: boolean;
  readonly missRatio?: number;
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Times `iterations` memory misses; `next()` returns the broker to ask (and forces the miss). */
const sample = async (store: CountingStore, next: (i: number) => Broker): Promise<MissSample> => {
  const reads: number[] = [];
  const readMs: number[] = [];
  const totalMs: number[] = [];
  const overheadMs: number[] = [];
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const broker = next(i);
    store.take();
    const start = nowMs();
    const served = await broker.getToken(BENCH_CALLER, { credentialId: 'dap' });
    const total = nowMs() - start;
    const taken = store.take();
    if (served.tier !== 'table') throw new Error(`P3: expected a shared-tier hit, got ${served.tier}`);
    // The serve's fire-and-forget lastUsedAt write must not overlap the next measurement.
    await store.settle();
    if (i < WARMUP) continue;
    reads.push(taken.reads);
    readMs.push(taken.readMs);
    totalMs.push(total);
    overheadMs.push(total - taken.readMs);
  }
  const overhead = distribution(overheadMs);
  return {
    iterations: ITERATIONS,
    readsPerMiss: { min: Math.min(...reads), max: Math.max(...reads) },
    readMedianMs: round(distribution(readMs).p50),
    totalMedianMs: round(distribution(totalMs).p50),
    overheadMedianMs: round(overhead.p50),
    overheadP99Ms: round(overhead.p99),
  };
};

/**
 * P3: a memory miss served from the shared tier (one DynamoDB read, decrypt with the local AES
 * cipher, serve). The store is wrapped to count and time `read`; the broker's overhead is the whole
 * getToken time minus that read's own time.
 */
export const runP3 = async (): Promise<P3Result> => {
  const bed = await startTestbed();
  try {
    const store = makeCountingStore(bed.makeStore());
    await bed.makeInstance('p3-writer', { store }).getToken(BENCH_CALLER, { credentialId: 'dap' });
    await store.settle();

    // A new instance per request: nothing in memory, the table item is read and decrypted.
    const cold = await sample(store, (i) => bed.makeInstance(`p3-new-${i}`, { store }));
    // One instance that re-checks the table on every request (memoryRecheckMs 0): same version, no decrypt.
    const rechecking = bed.makeInstance('p3-recheck', { store, settings: { memoryRecheckMs: 0 } });
    const recheck = await sample(store, () => rechecking);

    const exactlyOne = cold.readsPerMiss.min === 1 && cold.readsPerMiss.max === 1;
    const met = exactlyOne && cold.overheadMedianMs <= TARGET_OVERHEAD_MS;
    return {
      tableReads: exactlyOne ? 1 : cold.readsPerMiss.max,
      overheadMs: cold.overheadMedianMs,
      overheadP99Ms: cold.overheadP99Ms,
      readMedianMs: cold.readMedianMs,
      totalMedianMs: cold.totalMedianMs,
      iterations: cold.iterations,
      mode: 'new-instance',
      recheck,
      target: { tableReads: 1, overheadMs: TARGET_OVERHEAD_MS },
      met,
      ...(met
        ? {}
        : {
            missRatio: round(Math.max(cold.readsPerMiss.max, cold.overheadMedianMs / TARGET_OVERHEAD_MS), 2),
          }),
    };
  } finally {
    await bed.stop();
  }
};
