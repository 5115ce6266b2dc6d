/**
 * Tuning of the token lifecycle. Defaults suit Lambda (NTP-synced clocks, 29 s API Gateway limit).
 * All durations in milliseconds.
 */
export interface BrokerSettings {
  /**
   * The most any instance's clock may differ from the upstream's. Every served token keeps at least
   * this much life beyond what the caller asked for, and a lease or failure hold written by another
   * instance is trusted by timestamp only beyond it. Raise to 300_000 to tolerate ±5 min of skew.
   */
  readonly clockSkewToleranceMs: number;
  /** Renew this long before a token stops being servable, give or take `refreshJitterMs`. */
  readonly refreshLeadMs: number;
  readonly refreshJitterMs: number;
  /** How long a refresh lease protects its holder; longer than one whole refresh can take. */
  readonly leaseMs: number;
  /** How long a caller may wait for another instance's refresh before a 503 with Retry-After. */
  readonly maxWaitMs: number;
  /** Polling between table reads while another instance refreshes (jittered between the two). */
  readonly pollMinMs: number;
  readonly pollMaxMs: number;
  /** Deadline of one upstream call. */
  readonly upstreamTimeoutMs: number;
  /** Failure backoff: capped exponential with full jitter, never below `backoffMinMs` or Retry-After. */
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  readonly backoffMinMs: number;
  /** A memory-tier token is re-checked against the table this often (propagates invalidation). */
  readonly memoryRecheckMs: number;
  /** `lastUsedAt` is written at most this often per variant per instance. */
  readonly touchIntervalMs: number;
  /** Pre-warm renews variants used within this window and leaves idle ones to lapse. */
  readonly prewarmRecentMs: number;
  /** Mint records are kept this long (DynamoDB TTL). */
  readonly mintHistoryMs: number;
  /**
   * A variant whose upstream has failed with the same code for this long is reported unhealthy
   * (admin detail, metric, one WARN line per transition). Detection only: retries stay as paced.
   */
  readonly unhealthyAfterMs: number;
}

export const DEFAULT_SETTINGS: BrokerSettings = {
  clockSkewToleranceMs: 60_000,
  refreshLeadMs: 240_000,
  refreshJitterMs: 60_000,
  leaseMs: 15_000,
  maxWaitMs: 20_000,
  pollMinMs: 50,
  pollMaxMs: 400,
  upstreamTimeoutMs: 5_000,
  backoffBaseMs: 1_000,
  backoffCapMs: 300_000,
  backoffMinMs: 1_000,
  memoryRecheckMs: 30_000,
  touchIntervalMs: 300_000,
  prewarmRecentMs: 2 * 3_600_000,
  mintHistoryMs: 30 * 86_400_000,
  unhealthyAfterMs: 15 * 60_000,
};
