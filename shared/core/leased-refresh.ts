import { randomUUID } from 'node:crypto';
import { backoffHoldMs } from './backoff.ts';
import type { BrokerSettings } from './broker-settings.ts';
import type { Clock } from './clock.ts';
import type { CredentialHolds } from './credential-holds.ts';
import type { EnvelopeCipher } from './envelope-cipher.ts';
import { errorSummary } from './error-summary.ts';
import { isBrokerError, isTransient } from './errors.ts';
import type { FailureMemory } from './failure-memory.ts';
import { fingerprint } from './fingerprint.ts';
import { failureHoldOf, type HoldTracker } from './hold-tracker.ts';
import type { MintPaces } from './mint-pace.ts';
import type { Logger, Metrics } from './telemetry.ts';
import type { StoredVariant, TokenRecord, TokenStore } from './token-store.ts';
import type { TokenTiming } from './token-timing.ts';
import { tokenUnavailable } from './token-unavailable.ts';
import type { TrueTime } from './true-time.ts';
import type { UpstreamCall } from './upstream-call.ts';
import { isThrottle } from './upstream-failure.ts';
import { itemContextOf, type VariantState, variantLogFields } from './variant-state.ts';

/**
 * Refresh with lease and fence: takes the lease on exactly what `item` shows, renews, writes the
 * token fenced by that lease. 'lost' when another instance holds or took the lease (or the fence
 * refused a late write); 'won' with the fresh token in `state.cached`. A failed renewal is written
 * as failure memory (releasing the lease) and thrown: a transient one as TOKEN_UNAVAILABLE.
 */
export type LeasedRefresh = (state: VariantState, item: StoredVariant | undefined) => Promise<'won' | 'lost'>;

export interface LeasedRefreshDeps {
  readonly store: TokenStore;
  readonly cipher: EnvelopeCipher;
  /** True time (the local clock corrected by the measured offset); `time` says how sure it is. */
  readonly clock: Clock;
  readonly time: TrueTime;
  readonly random: () => number;
  readonly settings: BrokerSettings;
  readonly timing: TokenTiming;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly holds: HoldTracker;
  readonly credentialHolds: CredentialHolds;
  readonly callUpstream: UpstreamCall;
  readonly failureMemory: FailureMemory;
  readonly paces: MintPaces;
}

export const makeLeasedRefresh = (deps: LeasedRefreshDeps): LeasedRefresh => {
  const { store, cipher, clock, settings, timing, metrics, logger, holds, credentialHolds, failureMemory } =
    deps;
  const credentialMetric = (state: VariantState) => ({ credentialId: state.key.credentialId });

  /** The fresh token is in memory and the fence accepted it: learn, log, audit. */
  const won = async (
    state: VariantState,
    record: TokenRecord,
    token: string,
    version: number,
    via: 'mint' | 'refresh',
  ) => {
    const log = variantLogFields(state, deps.instanceId);
    const { envelope: _sealed, ...plain } = record;
    const now = clock.now();
    state.cached = { ...plain, token, version, checkedAt: now };
    state.source = 'upstream';
    // This instance's own mint: the fresh token's life as it arrived, clock offset included.
    state.freshGuaranteeMs = timing.guaranteedMs(state.cached, now);
    logger.info('token issued', { ...log, via, fingerprint: record.fingerprint, version });
    await store
      .recordMint({
        key: state.key,
        fingerprint: record.fingerprint,
        issuedAt: record.issuedAt,
        expiresAt: record.expiresAt,
        secretVersionId: record.secretVersionId,
        version,
        instanceId: deps.instanceId,
        via,
      })
      .catch((error: unknown) =>
        logger.warn('mint record not written', { ...log, error: errorSummary.of(error) }),
      );
  };

  /** Writes failure memory (and a credential hold when throttled), then throws what the caller gets. */
  const failed = async (
    state: VariantState,
    item: StoredVariant | undefined,
    leaseId: string,
    error: unknown,
  ): Promise<never> => {
    const log = variantLogFields(state, deps.instanceId);
    const count = (item?.failure?.count ?? 0) + 1;
    const brokerError = isBrokerError(error) ? error : undefined;
    const holdMs = backoffHoldMs(count, brokerError?.retryAfterSeconds, settings, deps.random);
    const failure = failureMemory.next(item?.failure, brokerError?.code ?? 'INTERNAL', holdMs, count);
    metrics.add('RefreshFailure', 1, 'Count', credentialMetric(state));
    logger.warn('refresh failed', { ...log, ...errorSummary.fields(brokerError), count, holdMs });
    holds.register(failureHoldOf(failure));
    // Throttling holds the whole credential; other failures stay with this variant. Both writes
    // at once: the lease is released by the failure write, and nothing here may hold it longer.
    const throttled = brokerError !== undefined && isThrottle(brokerError);
    const hold = { id: failure.id, code: failure.code, at: failure.at, ms: holdMs };
    // Timed like the failure record it shares an id with (hold-tracker.ts decides when it passed).
    if (throttled) credentialHolds.remember(state.key.credentialId, hold);
    const [written] = await Promise.all([
      store.putFailure(state.key, leaseId, failure).catch((e: unknown) => {
        logger.warn('failure memory not written; the lease will lapse instead', {
          ...log,
          error: errorSummary.of(e),
        });
        return false;
      }),
      throttled
        ? store.putCredentialHold(state.key.credentialId, hold).catch((e: unknown) => {
            logger.warn('credential hold not written', { ...log, error: errorSummary.of(e) });
            return false;
          })
        : undefined,
    ]);
    if (written) failureMemory.written(log, item?.failure, failure);
    if (brokerError && isTransient(brokerError.code)) {
      throw tokenUnavailable(holds.retryAfterMs(failureHoldOf(failure)), { reason: brokerError.code }, error);
    }
    throw error;
  };

  return async (state, item) => {
    // An instance that cannot bound its clock offset cannot prove its lease covers the work (true-time.ts).
    if (!Number.isFinite(deps.time.uncertaintyMs()))
      throw tokenUnavailable(1_000, { reason: 'CLOCK_UNBOUNDED' });
    const log = variantLogFields(state, deps.instanceId);
    const version = item?.version ?? 0;
    // Stamped at the latest true time this could be, so no instance sees the lease end early.
    const lease = { id: randomUUID(), owner: deps.instanceId, at: deps.time.latest(), ms: settings.leaseMs };
    // The hold is read alongside the lease, so an unheld credential (the usual case) waits no longer
    // than before; a held one gives the lease straight back. A hold written just after this read
    // costs at most one more throttled call.
    const [held, taken] = await Promise.all([
      credentialHolds.live(state),
      store.acquireLease(state.key, { kind: state.credential.kind, params: state.params }, lease, {
        version,
        leaseId: item?.lease?.id,
        failureId: item?.failure?.id,
      }),
    ]);
    if (held) {
      if (taken) {
        await store.releaseLease(state.key, lease.id).catch((e: unknown) => {
          logger.warn('lease not released; it will lapse instead', { ...log, error: errorSummary.of(e) });
        });
      }
      throw credentialHolds.unavailable(state, held);
    }
    if (!taken) return 'lost';
    const leaseTakenAt = clock.now();
    holds.register(lease);
    if (item?.lease) {
      metrics.add('LeaseTakeover', 1, 'Count', credentialMetric(state));
      logger.warn('took over an expired refresh lease', { ...log, previousOwner: item.lease.owner });
    }
    let record: TokenRecord;
    let token: string;
    let via: 'mint' | 'refresh';
    try {
      const previous = state.cached?.version === version ? state.cached : undefined;
      const called = await deps.callUpstream(state, previous);
      ({ via } = called);
      token = called.issued.token;
      const { issued } = called;
      const envelope = await cipher.seal(token, itemContextOf(state.key, version + 1));
      record = {
        envelope,
        fingerprint: fingerprint(token),
        issuedAt: issued.issuedAt,
        expiresAt: issued.expiresAt,
        refreshAt: timing.refreshAt(issued),
        ...(issued.refreshableUntil === undefined ? {} : { refreshableUntil: issued.refreshableUntil }),
        readableExpiry: issued.readableExpiry,
        secretVersionId: called.secret.versionId,
        renewalMs: Math.max(0, clock.now() - leaseTakenAt),
      };
      metrics.add(via === 'mint' ? 'Mint' : 'Refresh', 1, 'Count', credentialMetric(state));
      if (!(await store.putToken(state.key, lease.id, version, record))) {
        // Our lease was taken over while we were slow: the newer token stays, ours is discarded.
        metrics.add('FencedWriteRejected', 1, 'Count', credentialMetric(state));
        logger.warn('late token write rejected by the fence', { ...log, fingerprint: record.fingerprint });
        return 'lost';
      }
    } catch (error) {
      return failed(state, item, lease.id, error);
    }
    deps.paces.of(state.key.credentialId).observe(clock.now() - leaseTakenAt);
    if (item?.failure) failureMemory.recovered(log, item.failure);
    await won(state, record, token, version + 1, via);
    return 'won';
  };
};
