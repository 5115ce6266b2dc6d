import { ConfigInvalidError } from './errors.ts';

/**
 * Tuning of the token lifecycle. Defaults suit Lambda (NTP-synced clocks, 29 s API Gateway limit).
 * All durations in milliseconds.
 */
export interface BrokerSettings {
  /**
   * The widest residual uncertainty (half-width) of this instance's MEASURED clock offset it accepts.
   * Each instance measures its offset from the `Date` of the responses it receives (clock-offset.ts)
   * and applies it to every expiry, lease and hold, so any skew is tolerated, ±5 min included; what
   * is left is the measurement's own uncertainty (about 0.5 s: `Date` has 1 s resolution), which
   * every guarantee keeps as margin. An instance whose uncertainty is wider, or that has no sample
   * yet, serves nothing it cannot prove valid (503 `CLOCK_UNBOUNDED`). Renewal is scheduled this
   * long before expiry on every instance. Not a skew allowance: there is no need to raise it.
   */
  readonly clockSkewToleranceMs: number;
  /** Renew this long before a token stops being servable, give or take `refreshJitterMs`. */
  readonly refreshLeadMs: number;
  readonly refreshJitterMs: number;
  /**
   * How long a refresh lease protects its holder: at least the slowest refresh the deadlines allow
   * (`refreshWorstCaseMs`; the compositions check it at start). A stored lease longer than this is
   * capped when read.
   */
  readonly leaseMs: number;
  /**
   * How long a caller may wait for another instance's refresh before a 503 with Retry-After. This
   * plus a refresh of its own (two upstream deadlines) stays within `REQUEST_BUDGET_MS`, so a
   * caller behind API Gateway gets a 503 rather than a gateway timeout.
   */
  readonly maxWaitMs: number;
  /**
   * A caller waiting on another instance's refresh polls the table on a schedule derived from how
   * long the credential's renewals take (mint-pace.ts): first just after the holder should be done,
   * then backing off. `pollMinMs` is the least a credential not yet seen renew is expected to take.
   */
  readonly pollMinMs: number;
  /** The longest wait between two polls. */
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
  clockSkewToleranceMs: 1_500,
  refreshLeadMs: 240_000,
  refreshJitterMs: 60_000,
  leaseMs: 40_000,
  maxWaitMs: 15_000,
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

/**
 * The deadlines one refresh runs under, each the whole of one call with its SDK attempts
 * (composition constants, not settings).
 */
export interface RefreshDeadlines {
  readonly secretReadMs: number;
  readonly cipherSealMs: number;
  readonly storeWriteMs: number;
}

/** API Gateway answers 504 after 29 s; a request must be answered well inside that. */
export const REQUEST_BUDGET_MS = 27_000;

/**
 * The slowest refresh the deadlines allow, the longest work a lease guards: a renewal whose
 * credentials are rejected re-reads the secret and issues again, and a canvas-jwt issue is a
 * refresh then a mint: 4 upstream calls, 2 secret reads, one seal and the fenced write.
 */
export const refreshWorstCaseMs = (settings: BrokerSettings, deadlines: RefreshDeadlines): number =>
  4 * settings.upstreamTimeoutMs +
  2 * deadlines.secretReadMs +
  deadlines.cipherSealMs +
  deadlines.storeWriteMs;

/** Startup checks of the time settings against the deadlines of the composition. */
export const validateSettings = (settings: BrokerSettings, deadlines?: RefreshDeadlines): void => {
  if (!(settings.clockSkewToleranceMs >= 500)) {
    // Below half the Date resolution no single measurement qualifies: every instance would refuse.
    throw new ConfigInvalidError('settings.clockSkewToleranceMs: must be at least 500');
  }
  if (!deadlines) return;
  const worst = refreshWorstCaseMs(settings, deadlines);
  if (settings.leaseMs < worst) {
    throw new ConfigInvalidError(
      `settings.leaseMs: must cover the slowest refresh the deadlines allow (${worst} ms)`,
    );
  }
  if (settings.maxWaitMs + 2 * settings.upstreamTimeoutMs > REQUEST_BUDGET_MS) {
    throw new ConfigInvalidError(
      `settings.maxWaitMs: plus two upstream deadlines must stay within ${REQUEST_BUDGET_MS} ms`,
    );
  }
};
