import { randomUUID } from 'node:crypto';
import { backoffHoldMs } from './backoff.ts';
import type { Tier } from './broker.ts';
import type { BrokerSettings } from './broker-settings.ts';
import type { Clock } from './clock.ts';
import { type CredentialConfig, canRefresh, type NormalizedParams } from './credential.ts';
import type { EncryptionContext, EnvelopeCipher } from './envelope-cipher.ts';
import {
  type BrokerError,
  DecryptionFailedError,
  isBrokerError,
  isTransient,
  MinTtlUnsatisfiableError,
  TokenUnavailableError,
} from './errors.ts';
import { makeFailureMemory } from './failure-memory.ts';
import { fingerprint } from './fingerprint.ts';
import { type Hold, makeHoldTracker } from './hold-tracker.ts';
import { makeMintPace } from './mint-pace.ts';
import type { SecretSource, SecretValue } from './secret-source.ts';
import type { Logger, Metrics } from './telemetry.ts';
import type {
  CredentialHold,
  FailureRecord,
  StoredVariant,
  TokenRecord,
  TokenStore,
  VariantKey,
} from './token-store.ts';
import type { TokenTiming } from './token-timing.ts';
import type { TrueTime } from './true-time.ts';
import type { IssuedToken, UpstreamClient } from './upstream-client.ts';
import { afterRefreshFailure, isThrottle } from './upstream-failure.ts';

/** A decrypted token held in this instance's memory tier. */
export interface CachedToken extends Omit<TokenRecord, 'envelope'> {
  readonly token: string;
  readonly version: number;
  /** When this instance last confirmed the token against the table (its own clock). */
  checkedAt: number;
}

export interface VariantState {
  readonly key: VariantKey;
  readonly credential: CredentialConfig;
  readonly params: NormalizedParams;
  cached?: CachedToken;
  /** The tier the current `cached` came from, for metrics and audit. */
  source: Tier;
  /** One table-read/refresh cycle per variant per process; every waiting caller joins it. */
  cycle?: Promise<void>;
  /** The need (ms of guaranteed life) the running cycle works for. */
  cycleNeedMs?: number;
  /**
   * Callers waiting on the cycle. Each is woken after every table read of the cycle and checks its
   * own need, so a caller the current token covers never waits for a longer need's refresh.
   */
  waiters?: Set<() => void>;
  /**
   * The guaranteed life a fresh token of this variant actually gets, learned from its real tokens:
   * measured on arrival for this instance's own mints, from `expiresAt - issuedAt` for tokens read
   * from the table. Undefined until the variant has had a token.
   */
  freshGuaranteeMs?: number;
  touchedAt?: number;
}

export interface TokenEngineDeps {
  readonly store: TokenStore;
  readonly secrets: SecretSource;
  readonly cipher: EnvelopeCipher;
  readonly upstreamFor: (credential: CredentialConfig) => UpstreamClient;
  /** True time (the local clock corrected by the measured offset); `time` says how sure it is. */
  readonly clock: Clock;
  readonly time: TrueTime;
  readonly random: () => number;
  readonly settings: BrokerSettings;
  readonly timing: TokenTiming;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly instanceId: string;
}

export interface TokenEngine {
  /** Serves a token with at least `needMs` of guaranteed life: memory, then table, then one refresh. */
  obtain(state: VariantState, needMs: number, signal?: AbortSignal): Promise<Served>;
  /** Renews now if due (or always with `force`), honouring another instance's lease. */
  renew(state: VariantState, item: StoredVariant | undefined, force: boolean): Promise<'renewed' | 'skipped'>;
  servable(token: CachedToken | undefined, needMs: number, now: number): token is CachedToken;
}

type Outcome = 'won' | 'lost';

export interface Served {
  readonly token: CachedToken;
  readonly tier: Tier;
}

const contextOf = (key: VariantKey, version: number): EncryptionContext => ({
  credentialId: key.credentialId,
  variantId: key.variantId,
  version: String(version),
});

const failureHold = (failure: FailureRecord): Hold => ({
  id: failure.id,
  at: failure.at,
  ms: failure.holdMs,
  kind: 'failure',
});

/** A fresh token read from the table arrived at its minting instance a little after `issuedAt`. */
const FRESH_ARRIVAL_SLACK_MS = 10_000;
/** A credential hold is a failure hold (a backoff), timed as one. */
const throttleHold = (hold: CredentialHold): Hold => ({ ...hold, kind: 'failure' });

/** The longest upstream Retry-After honoured (backoff.ts), so the longest failure hold written. */
const MAX_RETRY_AFTER_MS = 3_600_000;

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

export const makeTokenEngine = (deps: TokenEngineDeps): TokenEngine => {
  const { store, secrets, cipher, clock, settings, timing, metrics, logger, random } = deps;
  const holds = makeHoldTracker(deps.time, {
    leaseMs: settings.leaseMs,
    failureMs: Math.max(settings.backoffCapMs, MAX_RETRY_AFTER_MS),
    uncertaintyMs: settings.clockSkewToleranceMs,
  });
  /** The live credential holds this instance last saw, one per configured credential at most. */
  const knownHolds = new Map<string, CredentialHold>();
  // One pace per instance: renewals of every credential cost about the same here (secret, upstream, seal, write).
  const pace = makeMintPace({
    initialMs: settings.pollMinMs,
    maxMs: settings.pollMaxMs,
    maxExpectedMs: settings.leaseMs,
  });

  const heldLocally = (credentialId: string): boolean => {
    const hold = knownHolds.get(credentialId);
    return hold !== undefined && !holds.passed(throttleHold(hold));
  };
  const upstreams = new Map<string, UpstreamClient>();
  const upstreamOf = (credential: CredentialConfig): UpstreamClient => {
    let client = upstreams.get(credential.id);
    if (!client) {
      client = deps.upstreamFor(credential);
      upstreams.set(credential.id, client);
    }
    return client;
  };

  const servable = (token: CachedToken | undefined, needMs: number, now: number): token is CachedToken =>
    token !== undefined && timing.guaranteedMs(token, now) > 0 && timing.guaranteedMs(token, now) >= needMs;

  const log = (state: VariantState) => ({
    credentialId: state.key.credentialId,
    variantId: state.key.variantId,
    instanceId: deps.instanceId,
  });

  /**
   * A stored token another instance wrote is opened (a KMS Decrypt on AWS) only when the plaintext
   * may be used: served while it lives, or presented to `/jwts/refresh` (the
   * only renewal that needs the old token). Anything else is replaced unopened (issue 10).
   */
  const refreshable = (state: VariantState, record: TokenRecord, now: number): boolean =>
    canRefresh(state.credential.kind) &&
    record.refreshableUntil !== undefined &&
    now < record.refreshableUntil;
  // Any live token is opened, whatever this cycle's need: a caller with a shorter need may join
  // the cycle and be served by it. An expired one is only worth opening for a refresh.
  const worthOpening = (state: VariantState, record: TokenRecord, now: number): boolean =>
    timing.guaranteedMs(record, now) > 0 || refreshable(state, record, now);

  /**
   * Brings the memory tier in line with the table item; decrypts only when the token changed and
   * `open` says its plaintext will be used (otherwise this instance keeps what it had).
   */
  const sync = async (
    state: VariantState,
    item: StoredVariant | undefined,
    open: (state: VariantState, record: TokenRecord, now: number) => boolean,
  ): Promise<'empty' | 'same' | 'opened' | 'unopened' | 'undecryptable'> => {
    const now = clock.now();
    if (!item?.token) {
      // Purged or invalidated in the table: this instance stops serving its copy too.
      state.cached = undefined;
      return 'empty';
    }
    const current = state.cached;
    if (current && current.version === item.version && current.fingerprint === item.token.fingerprint) {
      current.checkedAt = now;
      // Confirmed by this table read: whoever minted it, it is now served from the shared tier.
      state.source = 'table';
      return 'same';
    }
    if (!open(state, item.token, now)) return 'unopened';
    let token: string;
    try {
      token = await cipher.open(item.token.envelope, contextOf(state.key, item.version));
      if (fingerprint(token) !== item.token.fingerprint)
        throw new DecryptionFailedError('fingerprint mismatch');
    } catch (error) {
      if (!isBrokerError(error) || error.code !== 'DECRYPT_FAILED') throw error;
      // An envelope that does not open in its own item (moved, corrupted, wrong key) is treated as
      // no token at all: a fresh mint overwrites it. Never served, never fatal.
      logger.error('stored token does not decrypt; it will be replaced', { ...log(state), code: error.code });
      state.cached = undefined;
      return 'undecryptable';
    }
    const { envelope: _sealed, ...record } = item.token;
    state.cached = { ...record, token, version: item.version, checkedAt: now };
    state.source = 'table';
    // Another instance's mint: its arrival is unknown here, so the lifetime less the usual slack.
    state.freshGuaranteeMs = timing.guaranteedMs(record, record.issuedAt) - FRESH_ARRIVAL_SLACK_MS;
    return 'opened';
  };

  const issue = async (
    state: VariantState,
    secret: SecretValue,
    previous: CachedToken | undefined,
  ): Promise<{ issued: IssuedToken; via: 'mint' | 'refresh' }> => {
    const client = upstreamOf(state.credential);
    // Upstream calls carry their own deadline (adapter); the shared refresh is never tied to a caller's abort.
    const request = { secret, params: state.params, signal: new AbortController().signal };
    const now = clock.now();
    if (client.refresh && previous?.refreshableUntil !== undefined && now < previous.refreshableUntil) {
      try {
        return {
          issued: await client.refresh({ ...request, previousToken: previous.token }),
          via: 'refresh',
        };
      } catch (error) {
        // A refresh is never the only way out: the decision table is in upstream-failure.ts
        // (afterRefreshFailure). Only a failure of the whole host, or a rejected access token
        // (callUpstream's concern), ends the renewal here; everything else mints at once.
        if (afterRefreshFailure(error) !== 'mint') throw error;
        metrics.add('RefreshFallback', 1, 'Count', { credentialId: state.key.credentialId });
        logger.warn('refresh failed; minting a new token instead', {
          ...log(state),
          ...describeError(isBrokerError(error) ? error : undefined),
        });
      }
    }
    return { issued: await client.mint(request), via: 'mint' };
  };

  /**
   * The live throttle hold on the whole credential, if any (issue 13: Canvas throttles per access
   * token, not per parameter set). A hold this instance already knows costs no read. Fails open:
   * the hold only spares upstream, the lease already bounds the calls, so an unreadable hold never
   * keeps a token from being issued.
   */
  const liveCredentialHold = async (state: VariantState): Promise<CredentialHold | undefined> => {
    const id = state.key.credentialId;
    if (heldLocally(id)) return knownHolds.get(id);
    let stored: CredentialHold | undefined;
    try {
      stored = await store.readCredentialHold(id);
    } catch (error) {
      logger.warn('credential hold not read; calling upstream anyway', {
        ...log(state),
        error: describe(error),
      });
      return undefined;
    }
    if (!stored || holds.passed(throttleHold(stored))) return undefined;
    knownHolds.set(id, stored);
    return stored;
  };

  /** Nothing is recorded for a held variant (nothing was tried): its callers get the hold's remaining time. */
  const heldUnavailable = (state: VariantState, hold: CredentialHold) => {
    metrics.add('Unavailable', 1, 'Count', { credentialId: state.key.credentialId });
    return new TokenUnavailableError('No valid token is available right now; try again later.', {
      retryAfterSeconds: seconds(holds.retryAfterMs(throttleHold(hold))),
      details: { reason: 'CREDENTIAL_THROTTLED', heldFor: hold.code },
    });
  };

  /**
   * Calls upstream; on rejected credentials re-reads the secret once, bypassing caches, and with a
   * new version retries once with a mint.
   */
  const callUpstream = async (state: VariantState, previous: CachedToken | undefined) => {
    const secretId = state.credential.secretId;
    const secret = await secrets.get(secretId);
    try {
      return { secret, ...(await issue(state, secret, previous)) };
    } catch (error) {
      if (!isBrokerError(error) || error.code !== 'UPSTREAM_CREDENTIALS_REJECTED') throw error;
      const fresh = await secrets.get(secretId, { forceRefresh: true });
      metrics.add('SecretReread', 1, 'Count', { credentialId: state.key.credentialId });
      // Same version: the secret itself is what upstream rejects; a retry would only fail again.
      if (fresh.versionId === secret.versionId) throw error;
      // The retry mints at once (no second refresh): one upstream call with the new secret keeps the
      // worst case of one renewal at refresh + mint + re-read + mint, inside the lease it runs under.
      return { secret: fresh, ...(await issue(state, fresh, undefined)) };
    }
  };

  const failureMemory = makeFailureMemory({
    clock,
    unhealthyAfterMs: settings.unhealthyAfterMs,
    metrics,
    logger,
  });

  /** Takes the lease on exactly what `item` shows, renews, writes fenced. Throws upstream failures. */
  const refresh = async (state: VariantState, item: StoredVariant | undefined): Promise<Outcome> => {
    // An instance that cannot bound its clock offset cannot prove its lease covers the work (true-time.ts).
    if (!Number.isFinite(deps.time.uncertaintyMs())) throw unavailable(1_000, 'CLOCK_UNBOUNDED');
    const version = item?.version ?? 0;
    // Stamped at the latest true time this could be, so no instance sees the lease end early.
    const lease = { id: randomUUID(), owner: deps.instanceId, at: deps.time.latest(), ms: settings.leaseMs };
    // The hold is read alongside the lease, so an unheld credential (the usual case) waits no longer
    // than before; a held one gives the lease straight back. A hold written just after this read
    // costs at most one more throttled call.
    const [held, taken] = await Promise.all([
      liveCredentialHold(state),
      store.acquireLease(state.key, { kind: state.credential.kind, params: state.params }, lease, {
        version,
        leaseId: item?.lease?.id,
        failureId: item?.failure?.id,
      }),
    ]);
    if (held) {
      if (taken) {
        await store.releaseLease(state.key, lease.id).catch((e: unknown) => {
          logger.warn('lease not released; it will lapse instead', { ...log(state), error: describe(e) });
        });
      }
      throw heldUnavailable(state, held);
    }
    if (!taken) return 'lost';
    const leaseTakenAt = clock.now();
    holds.register(lease);
    if (item?.lease) {
      metrics.add('LeaseTakeover', 1, 'Count', { credentialId: state.key.credentialId });
      logger.warn('took over an expired refresh lease', { ...log(state), previousOwner: item.lease.owner });
    }
    try {
      const previous = state.cached?.version === version ? state.cached : undefined;
      const { secret, issued, via } = await callUpstream(state, previous);
      const token = issued.token;
      const envelope = await cipher.seal(token, contextOf(state.key, version + 1));
      const record: TokenRecord = {
        envelope,
        fingerprint: fingerprint(token),
        issuedAt: issued.issuedAt,
        expiresAt: issued.expiresAt,
        refreshAt: timing.refreshAt(issued),
        ...(issued.refreshableUntil === undefined ? {} : { refreshableUntil: issued.refreshableUntil }),
        readableExpiry: issued.readableExpiry,
        secretVersionId: secret.versionId,
        renewalMs: Math.max(0, clock.now() - leaseTakenAt),
      };
      metrics.add(via === 'mint' ? 'Mint' : 'Refresh', 1, 'Count', { credentialId: state.key.credentialId });
      if (!(await store.putToken(state.key, lease.id, version, record))) {
        // Our lease was taken over while we were slow: the newer token stays, ours is discarded.
        metrics.add('FencedWriteRejected', 1, 'Count', { credentialId: state.key.credentialId });
        logger.warn('late token write rejected by the fence', {
          ...log(state),
          fingerprint: record.fingerprint,
        });
        return 'lost';
      }
      pace.observe(clock.now() - leaseTakenAt);
      if (item?.failure) failureMemory.recovered(log(state), item.failure);
      const { envelope: _sealed, ...plain } = record;
      state.cached = { ...plain, token, version: version + 1, checkedAt: clock.now() };
      state.source = 'upstream';
      logger.info('token issued', {
        ...log(state),
        via,
        fingerprint: record.fingerprint,
        version: version + 1,
      });
      await store
        .recordMint({
          key: state.key,
          fingerprint: record.fingerprint,
          issuedAt: record.issuedAt,
          expiresAt: record.expiresAt,
          secretVersionId: record.secretVersionId,
          version: version + 1,
          instanceId: deps.instanceId,
          via,
        })
        .catch((error: unknown) =>
          logger.warn('mint record not written', { ...log(state), error: describe(error) }),
        );
      return 'won';
    } catch (error) {
      const count = (item?.failure?.count ?? 0) + 1;
      const brokerError = isBrokerError(error) ? error : undefined;
      const holdMs = backoffHoldMs(count, brokerError?.retryAfterSeconds, settings, random);
      const failure = failureMemory.next(item?.failure, brokerError?.code ?? 'INTERNAL', holdMs, count);
      metrics.add('RefreshFailure', 1, 'Count', { credentialId: state.key.credentialId });
      logger.warn('refresh failed', { ...log(state), ...describeError(brokerError), count, holdMs });
      holds.register(failureHold(failure));
      // Throttling holds the whole credential; other failures stay with this variant. Both writes
      // at once: the lease is released by the failure write, and nothing here may hold it longer.
      const throttled = brokerError !== undefined && isThrottle(brokerError);
      const hold = { id: failure.id, code: failure.code, at: failure.at, ms: holdMs };
      // Timed like the failure record it shares an id with (hold-tracker.ts decides when it passed).
      if (throttled) knownHolds.set(state.key.credentialId, hold);
      const [written] = await Promise.all([
        store.putFailure(state.key, lease.id, failure).catch((e: unknown) => {
          logger.warn('failure memory not written; the lease will lapse instead', {
            ...log(state),
            error: describe(e),
          });
          return false;
        }),
        throttled
          ? store.putCredentialHold(state.key.credentialId, hold).catch((e: unknown) => {
              logger.warn('credential hold not written', { ...log(state), error: describe(e) });
              return false;
            })
          : undefined,
      ]);
      if (written) failureMemory.written(log(state), item?.failure, failure);
      if (brokerError && isTransient(brokerError.code)) {
        throw new TokenUnavailableError('No valid token is available right now; try again later.', {
          retryAfterSeconds: seconds(holds.retryAfterMs(failureHold(failure))),
          cause: error,
          details: { reason: brokerError.code },
        });
      }
      throw error;
    }
  };

  const unavailable = (ms: number, reason: string, cause?: unknown) =>
    new TokenUnavailableError('No valid token is available right now; try again later.', {
      retryAfterSeconds: seconds(ms),
      details: { reason },
      cause,
    });

  /**
   * The most a caller may ask of this variant: what a fresh token gets, less a margin of cover. A
   * need that a fresh token would meet for less than the refresh lead (at most half its life) is
   * refused in advance: meeting it would cost a new mint every few seconds, and a need no fresh
   * token meets would cost a mint per request. Either way, once the variant has had one token,
   * such a need costs no upstream call at all. Undefined (no limit beyond the nominal one, checked
   * at parse time) until the variant has had a token.
   */
  const ceilingMs = (state: VariantState): number | undefined => {
    const fresh = state.freshGuaranteeMs;
    if (fresh === undefined) return undefined;
    return fresh - Math.min(settings.refreshLeadMs, Math.max(fresh, 0) / 2);
  };

  const unsatisfiable = (ceiling: number) =>
    new MinTtlUnsatisfiableError(
      `minTtlSeconds: a fresh token of this credential can guarantee at most ${Math.max(0, Math.floor(ceiling / 1000))} seconds`,
    );

  /** After this instance's own renewal: the fresh token's life as it arrived, clock offset included. */
  const learnFresh = (state: VariantState): void => {
    if (state.cached) state.freshGuaranteeMs = timing.guaranteedMs(state.cached, clock.now());
  };

  /** Wakes every waiter (each checks its own need against the token now in memory). */
  const wake = (state: VariantState): void => {
    for (const waiter of state.waiters ?? []) waiter();
  };

  /** Reads the table, and refreshes or waits for whoever does, until a token covers `needMs`. */
  const runCycle = async (state: VariantState, needMs: number): Promise<void> => {
    const deadline = clock.now() + settings.maxWaitMs;
    let attempt = 0;
    // The lease this cycle waits on: when a read first showed it, and when the last one still did
    // (local clock: lease stamps are true time at the holder's latest, too coarse for a pace).
    let waitedOn:
      | { readonly firstReadAt: number; readonly lastReadAt: number; readonly version: number }
      | undefined;
    for (;;) {
      const readAt = clock.now();
      const item = await store.read(state.key);
      if (waitedOn && item?.token && item.version > waitedOn.version) {
        // The holder wrote how long its renewal took: that is the pace of renewals this instance
        // does not run itself. An older item without it: the holder finished between the last two
        // reads, and their midpoint is the best this instance can tell.
        pace.observe(item.token.renewalMs ?? (waitedOn.lastReadAt + readAt) / 2 - waitedOn.firstReadAt);
        waitedOn = undefined;
      }
      await sync(state, item, worthOpening);
      wake(state);
      const now = clock.now();
      if (servable(state.cached, needMs, now)) return;
      const ceiling = ceilingMs(state);
      if (ceiling !== undefined && needMs > ceiling) throw unsatisfiable(ceiling);
      if (item?.failure && !holds.passed(failureHold(item.failure))) {
        metrics.add('Unavailable', 1, 'Count', { credentialId: state.key.credentialId });
        throw unavailable(holds.retryAfterMs(failureHold(item.failure)), item.failure.code);
      }
      if (item?.lease && !holds.passed(item.lease)) {
        if (item.failure) {
          // The variant is failing and another instance is retrying it (its failure hold has
          // passed): the design promises callers with no valid token a fast 503, so nobody polls
          // behind a retry that is likely doomed. A retry that succeeds serves the next request.
          metrics.add('Unavailable', 1, 'Count', { credentialId: state.key.credentialId });
          const retryMs = Math.min(holds.remainingMs(item.lease), settings.upstreamTimeoutMs);
          throw unavailable(retryMs, item.failure.code);
        }
        if (now >= deadline) throw unavailable(holds.remainingMs(item.lease), 'REFRESH_IN_PROGRESS');
        waitedOn = {
          firstReadAt: waitedOn?.firstReadAt ?? readAt,
          lastReadAt: readAt,
          version: item.version,
        };
        // The lease's age as this instance has seen it (at least that old: the first poll may come late, never early).
        const leaseAgeMs = now - waitedOn.firstReadAt;
        const wait = Math.min(pace.waitMs(attempt, leaseAgeMs, random()), Math.max(deadline - now, 1));
        metrics.add('LeaseWait', wait, 'Milliseconds', { credentialId: state.key.credentialId });
        await clock.sleep(wait);
        attempt++;
        continue;
      }
      if ((await refresh(state, item)) === 'won') {
        learnFresh(state);
        wake(state);
        if (servable(state.cached, needMs, clock.now())) return;
        // Never mint again in a loop for a caller no fresh token can satisfy.
        throw unsatisfiable(ceilingMs(state) ?? 0);
      }
      const lostAt = clock.now();
      if (lostAt >= deadline) throw unavailable(settings.leaseMs, 'REFRESH_IN_PROGRESS');
      // Lost the lease race: another instance took it an instant ago. Reading again at once would
      // only show its lease; the next read is due when its renewal should be done.
      // The winner's lease went in about when ours was refused: its renewal is timed from then.
      waitedOn = { firstReadAt: lostAt, lastReadAt: lostAt, version: item?.version ?? 0 };
      await clock.sleep(Math.min(pace.waitMs(0, 0, random()), Math.max(deadline - lostAt, 1)));
      attempt = 1;
    }
  };

  /**
   * Waits on the variant's cycle (starting one for `needMs` if none runs) until the token in memory
   * covers `needMs` or the cycle ends.
   */
  const join = (state: VariantState, needMs: number, signal?: AbortSignal): Promise<void> => {
    if (!state.cycle) {
      state.cycleNeedMs = needMs;
      state.cycle = runCycle(state, needMs).finally(() => {
        state.cycle = undefined;
        state.cycleNeedMs = undefined;
      });
    }
    const cycle = state.cycle;
    state.waiters ??= new Set();
    const waiters = state.waiters;
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
      };
      const check = () => {
        if (!servable(state.cached, needMs, clock.now())) return;
        done();
        resolve();
      };
      // The caller may stop waiting; the cycle itself goes on for everyone else.
      const onAbort = () => {
        done();
        reject(signal?.reason);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.add(check);
      cycle.then(
        () => {
          done();
          resolve();
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  };

  /**
   * Records recent use for the pre-warm, inside the request: on Lambda nothing may run after the
   * answer (the instance is frozen, the write would be lost and the pre-warm would think the
   * variant idle). At most once per `touchIntervalMs` per variant per instance, so it costs one
   * small write per variant every few minutes; a failure is logged and never fails the request.
   */
  const touchIfDue = async (state: VariantState, now: number, force = false): Promise<void> => {
    if (!force && state.touchedAt !== undefined && now - state.touchedAt < settings.touchIntervalMs) return;
    state.touchedAt = now;
    await store
      .touch(state.key, now)
      .catch((error: unknown) =>
        logger.warn('lastUsedAt not written', { ...log(state), error: describe(error) }),
      );
  };

  const renew = async (
    state: VariantState,
    item: StoredVariant | undefined,
    force: boolean,
  ): Promise<'renewed' | 'skipped'> => {
    const now = clock.now();
    // The item's metadata decides; the token is opened only for a renewal that presents it
    // (canvas-jwt's /jwts/refresh), so a pre-warm pass and every other renewal cost no Decrypt.
    if (!force && item?.token && now < item.token.refreshAt) return 'skipped';
    if (item?.lease && !holds.passed(item.lease)) return 'skipped';
    if (!force && item?.failure && !holds.passed(failureHold(item.failure))) return 'skipped';
    // The pre-warm (or a forced renewal's caller) waits out a throttle quietly.
    if (!force && heldLocally(state.key.credentialId)) return 'skipped';
    await sync(state, item, refreshable);
    if ((await refresh(state, item)) !== 'won') return 'skipped';
    learnFresh(state);
    return 'renewed';
  };

  /**
   * A stale token (past `refreshAt`, still servable) is served as it is and NOT renewed here: a
   * renewal started after the answer would run on a frozen Lambda instance (holding its lease
   * while frozen), and one finished before the answer would make this caller wait for upstream.
   * Renewal ahead of expiry is the pre-warm's job (every minute on AWS, a timer in local mode),
   * which has three or more runs inside the refresh lead; a token nobody renewed in time is
   * renewed by the first caller it no longer covers, in that caller's request.
   */
  const obtain = async (state: VariantState, needMs: number, signal?: AbortSignal): Promise<Served> => {
    const start = clock.now();
    const first = state.cached;
    if (servable(first, needMs, start) && start - first.checkedAt < settings.memoryRecheckMs) {
      await touchIfDue(state, start);
      return { token: first, tier: 'memory' };
    }
    const deadline = start + settings.maxWaitMs;
    // The touch goes alongside the table read, not after it: the item is almost always there (it
    // holds the token the read will find), and a touch never creates an item. Only a variant whose
    // item this very cycle creates (a mint) is touched again once it exists.
    const early = touchIfDue(state, start);
    try {
      for (;;) {
        const joined = join(state, needMs, signal);
        const cycleNeedMs = state.cycleNeedMs ?? needMs;
        try {
          await joined;
        } catch (error) {
          // Availability first: a token that still covers the caller is served even when the table
          // or upstream is failing.
          const fallback = state.cached;
          if (servable(fallback, needMs, clock.now())) return { token: fallback, tier: 'memory' };
          // A refusal for a longer need than this caller's is not this caller's answer: try again
          // with its own need (which starts a cycle for it if none runs).
          if (
            isBrokerError(error) &&
            error.code === 'MIN_TTL_UNSATISFIABLE' &&
            cycleNeedMs > needMs &&
            clock.now() < deadline
          ) {
            continue;
          }
          throw error;
        }
        const now = clock.now();
        const token = state.cached;
        if (servable(token, needMs, now)) {
          await early;
          // Once per mint: the first caller back from it re-touches (moving touchedAt past every
          // concurrent caller's start), the others see the fresh touch and skip.
          const created = first === undefined && state.source === 'upstream';
          await touchIfDue(state, now, created && (state.touchedAt ?? 0) <= start);
          return { token, tier: state.source };
        }
        if (now >= deadline) throw unavailable(settings.pollMaxMs, 'REFRESH_IN_PROGRESS');
      }
    } finally {
      // Whatever the answer, the touch has finished before it (nothing runs after a Lambda answers).
      await early;
    }
  };

  return { obtain, renew, servable };
};

const describeError = (error: BrokerError | undefined) =>
  error
    ? { code: error.code, upstreamStatus: error.upstreamStatus, retryAfterSeconds: error.retryAfterSeconds }
    : { code: 'INTERNAL' };

/** Error summaries for logs: the code and class only, since messages of foreign errors are not vetted. */
const describe = (error: unknown): string =>
  isBrokerError(error) ? error.code : error instanceof Error ? error.name : 'unknown';
