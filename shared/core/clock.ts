/**
 * The only source of time for the core. Production uses the system clock; tests inject a fixed or
 * skewed clock, so every time-dependent rule (expiry, refresh, leases, backoff) can be exercised
 * without waiting and with instance clocks that disagree.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, as this instance believes it. */
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
