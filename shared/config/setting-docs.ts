import type { BrokerSettings } from '../core/broker-settings.ts';

/**
 * One line per tuning setting, for the config schema's descriptions (and so for
 * docs/configuration.md and docs/config.schema.json). The full reasoning sits beside each setting in
 * shared/core/broker-settings.ts; a setting without a line here does not compile.
 */
export const SETTING_DOCS: Readonly<Record<keyof BrokerSettings, string>> = {
  clockSkewToleranceMs:
    'The widest residual uncertainty (half-width) of the measured clock offset an instance accepts; a wider one serves nothing it cannot prove valid (503 CLOCK_UNBOUNDED). Not a skew allowance: any skew is measured and corrected.',
  refreshLeadMs: 'Renew a token this long before it stops being servable (give or take refreshJitterMs).',
  refreshJitterMs: 'Random spread of the renewal time, so variants minted together are not renewed together.',
  leaseMs:
    'How long a refresh lease protects its holder; at least the slowest refresh the deadlines allow (checked at start).',
  maxWaitMs:
    "How long a caller may wait for another instance's refresh before a 503 with Retry-After; with a refresh of its own it stays inside API Gateway's 29 s.",
  pollMinMs:
    "Waiting on another instance's refresh, the table is polled just after the holder should be done, from how long the credential's renewals take (the median of the last five this instance ran or waited on); a credential not yet seen renew is expected to take what this instance's renewals take, and never less than this.",
  pollMaxMs: 'The longest wait between two polls of the table while another instance refreshes.',
  upstreamTimeoutMs: 'Deadline of one upstream (Instructure) call.',
  backoffBaseMs: 'Failure backoff: base of the capped exponential (full jitter).',
  backoffCapMs: 'Failure backoff: the longest hold.',
  backoffMinMs: 'Failure backoff: the shortest hold (a Retry-After from upstream is honoured when longer).',
  memoryRecheckMs:
    'A token in an instance’s memory is re-checked against the table this often (propagates invalidation).',
  touchIntervalMs: 'lastUsedAt is written at most this often per variant per instance.',
  prewarmRecentMs: 'The pre-warm renews variants used within this window and lets idle ones lapse.',
  mintHistoryMs: 'Mint records are kept this long (DynamoDB TTL).',
  unhealthyAfterMs:
    'A variant whose upstream has failed the same way for this long is reported unhealthy (admin detail, metric, alarm, one WARN line per transition).',
};
