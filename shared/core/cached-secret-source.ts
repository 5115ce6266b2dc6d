import type { Clock } from './clock.ts';
import { ConfigInvalidError } from './errors.ts';
import type { SecretReadOptions, SecretSource, SecretValue } from './secret-source.ts';
import { untilAborted } from './until-aborted.ts';

export interface CachedSecretSourceOptions {
  readonly clock: Clock;
  /** How long a value read from `inner` is served without asking again; 0 disables caching. */
  readonly maxAgeMs: number;
}

interface CacheEntry {
  readonly value: SecretValue;
  readonly readAt: number;
  readonly seq: number;
}

interface InFlight {
  readonly promise: Promise<SecretValue>;
  readonly seq: number;
  readonly forced: boolean;
}

const frozen = (value: SecretValue): SecretValue =>
  // Every caller gets the same object: freeze it so one caller cannot change another's secret.
  Object.freeze({ versionId: value.versionId, fields: Object.freeze({ ...value.fields }) });

/**
 * A per-instance cache in front of a secret source, so a warm instance does not pay a Secrets
 * Manager call (and quota) per token refresh.
 *
 * - Age is measured on the injected clock; a clock that went backwards counts as expired, so a
 *   clock correction cannot stretch the cache life.
 * - Concurrent reads of one secret share one call to `inner` (single flight). The shared call is not
 *   tied to any one caller's abort signal: a caller that aborts stops waiting, the read goes on.
 * - `forceRefresh` (after upstream rejected the credentials) never joins a plain read already in
 *   flight, since that read may have started before the rotation the caller just ran into; it
 *   joins only another forced read, then replaces the cache.
 * - Whichever read started last wins the cache, so a slow old read cannot overwrite a newer value.
 * - Failures are not cached: the next call asks `inner` again.
 */
export const makeCachedSecretSource = (
  inner: SecretSource,
  { clock, maxAgeMs }: CachedSecretSourceOptions,
): SecretSource => {
  if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) {
    throw new ConfigInvalidError('The secret cache max age must be a non-negative number of milliseconds.');
  }
  const cache = new Map<string, CacheEntry>();
  const inflight = new Map<string, InFlight>();
  let nextSeq = 0;

  const isFresh = (entry: CacheEntry): boolean => {
    const age = clock.now() - entry.readAt;
    return age >= 0 && age < maxAgeMs;
  };

  const startRead = (secretId: string, forced: boolean): InFlight => {
    nextSeq += 1;
    const seq = nextSeq;
    const readAt = clock.now();
    // Deferred to a microtask so a synchronous throw in `inner` becomes a rejection like any other.
    const promise = Promise.resolve()
      .then(() => inner.get(secretId, forced ? { forceRefresh: true } : {}))
      .then((value) => {
        const safe = frozen(value);
        const current = cache.get(secretId);
        if (!current || current.seq < seq) cache.set(secretId, { value: safe, readAt, seq });
        return safe;
      });
    const flight: InFlight = { promise, seq, forced };
    inflight.set(secretId, flight);
    const settle = () => {
      // A newer read may have taken the slot meanwhile; only clear our own.
      if (inflight.get(secretId) === flight) inflight.delete(secretId);
    };
    promise.then(settle, settle);
    return flight;
  };

  return {
    get(secretId: string, options: SecretReadOptions = {}): Promise<SecretValue> {
      const { forceRefresh = false, signal } = options;
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (!forceRefresh) {
        const entry = cache.get(secretId);
        if (entry && isFresh(entry)) return Promise.resolve(entry.value);
      }
      const running = inflight.get(secretId);
      const flight =
        running && (running.forced || !forceRefresh) ? running : startRead(secretId, forceRefresh);
      return untilAborted(flight.promise, signal);
    },
  };
};
