import { type BackgroundRenewal, makeBackgroundRenewal } from './background-renewal.ts';
import type { CredentialConfig } from './credential.ts';
import { makeCredentialHolds } from './credential-holds.ts';
import { makeFailureMemory } from './failure-memory.ts';
import { makeHoldTracker } from './hold-tracker.ts';
import { type LeasedRefreshDeps, makeLeasedRefresh } from './leased-refresh.ts';
import { makeMintPaces } from './mint-pace.ts';
import { makeReadThrough, type ReadThrough } from './read-through.ts';
import { makeRefreshCycle } from './refresh-cycle.ts';
import type { SecretSource } from './secret-source.ts';
import { makeTableSync } from './table-sync.ts';
import { makeUpstreamCall } from './upstream-call.ts';
import type { UpstreamClient } from './upstream-client.ts';
import { makeUsageTouch } from './usage-touch.ts';
import type { CachedToken } from './variant-state.ts';

/** What the lifecycle runs on: the ports, true time, settings and telemetry. */
export interface TokenEngineDeps
  extends Omit<LeasedRefreshDeps, 'holds' | 'credentialHolds' | 'callUpstream' | 'failureMemory' | 'paces'> {
  readonly secrets: SecretSource;
  readonly upstreamFor: (credential: CredentialConfig) => UpstreamClient;
}

export interface TokenEngine {
  /** Serves a token with at least `needMs` of guaranteed life: memory, then table, then one refresh. */
  readonly obtain: ReadThrough;
  /** Renews now if due (or always with `force`), honouring another instance's lease. */
  readonly renew: BackgroundRenewal;
  servable(token: CachedToken | undefined, needMs: number, now: number): token is CachedToken;
}

/** The longest upstream Retry-After honoured (backoff.ts), so the longest failure hold written. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * The token lifecycle of docs/DESIGN.md, one step per module, wired top-down:
 *
 * 1. read-through: memory, then the table (opened only when served), then one refresh per variant
 *    per instance however many callers wait (read-through.ts, table-sync.ts, refresh-cycle.ts);
 * 2. refresh with lease and fence: one instance renews, the others wait on a pace learned from
 *    real renewals (leased-refresh.ts, upstream-call.ts, mint-pace.ts);
 * 3. failure memory: a failed renewal holds its variant (or, throttled, its credential) for a
 *    backoff, and reports health (failure-memory.ts, credential-holds.ts, hold-tracker.ts);
 * 4. background renewal: the pre-warm renews stale, recently used tokens (background-renewal.ts,
 *    with usage-touch.ts recording use inside each request).
 */
export const makeTokenEngine = (deps: TokenEngineDeps): TokenEngine => {
  const { store, clock, settings, timing, metrics, logger, random, instanceId } = deps;
  const servable = (token: CachedToken | undefined, needMs: number, now: number): token is CachedToken =>
    token !== undefined && timing.guaranteedMs(token, now) > 0 && timing.guaranteedMs(token, now) >= needMs;

  // Failure memory and the holds every instance honours.
  const holds = makeHoldTracker(deps.time, {
    leaseMs: settings.leaseMs,
    failureMs: Math.max(settings.backoffCapMs, MAX_RETRY_AFTER_MS),
    uncertaintyMs: settings.clockSkewToleranceMs,
  });
  const failureMemory = makeFailureMemory({
    clock,
    unhealthyAfterMs: settings.unhealthyAfterMs,
    metrics,
    logger,
  });
  const credentialHolds = makeCredentialHolds({ store, holds, metrics, logger, instanceId });

  // Refresh with lease and fence. One pace per credential: upstreams answer at their own speeds.
  const paces = makeMintPaces({
    initialMs: settings.pollMinMs,
    maxMs: settings.pollMaxMs,
    maxExpectedMs: settings.leaseMs,
  });
  const callUpstream = makeUpstreamCall({ ...deps, metrics, logger });
  const refresh = makeLeasedRefresh({ ...deps, holds, credentialHolds, callUpstream, failureMemory, paces });

  // Read-through, and the background renewal beside it.
  const tableSync = makeTableSync({ cipher: deps.cipher, clock, timing, logger, instanceId });
  const join = makeRefreshCycle({
    store,
    clock,
    random,
    settings,
    metrics,
    holds,
    paces,
    tableSync,
    refresh,
    servable,
  });
  const touch = makeUsageTouch({ store, touchIntervalMs: settings.touchIntervalMs, logger, instanceId });
  return {
    obtain: makeReadThrough({ clock, settings, servable, join, touch }),
    renew: makeBackgroundRenewal({ clock, holds, credentialHolds, tableSync, refresh }),
    servable,
  };
};
