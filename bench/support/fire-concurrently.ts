import { isBrokerError } from '../../shared/core/errors.ts';
import { fingerprint } from '../../shared/core/fingerprint.ts';

export interface Volley {
  /** Per request, from its call to its settling, in ms. */
  readonly latenciesMs: Float64Array;
  readonly failed: number;
  /** Failure codes and their counts (BrokerError codes, else the error's name). */
  readonly failures: Readonly<Record<string, number>>;
  /** How many different tokens were handed out (compared by fingerprint). */
  readonly distinctTokens: number;
  /** From the first call to the last settling. */
  readonly wallMs: number;
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Starts `count` requests in one synchronous loop (all in flight together) and waits for all. */
export const fireConcurrently = async (
  count: number,
  request: (i: number) => Promise<string>,
): Promise<Volley> => {
  const latenciesMs = new Float64Array(count);
  const failures: Record<string, number> = {};
  const fingerprints = new Set<string>();
  let failed = 0;
  const start = nowMs();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const began = nowMs();
    pending.push(
      request(i).then(
        (token) => {
          latenciesMs[i] = nowMs() - began;
          fingerprints.add(fingerprint(token));
        },
        (error: unknown) => {
          latenciesMs[i] = nowMs() - began;
          failed++;
          const code = isBrokerError(error) ? error.code : error instanceof Error ? error.name : 'unknown';
          failures[code] = (failures[code] ?? 0) + 1;
        },
      ),
    );
  }
  await Promise.all(pending);
  return { latenciesMs, failed, failures, distinctTokens: fingerprints.size, wallMs: nowMs() - start };
};
