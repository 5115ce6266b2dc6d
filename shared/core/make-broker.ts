import { createHash, timingSafeEqual } from 'node:crypto';
import type {
  Broker,
  CredentialDetail,
  CredentialHealth,
  CredentialSummary,
  PrewarmReport,
  ServedToken,
  VariantState as VariantStateName,
  VariantSummary,
} from './broker.ts';
import {
  type BrokerSettings,
  DEFAULT_SETTINGS,
  type RefreshDeadlines,
  validateSettings,
} from './broker-settings.ts';
import { type CallerPolicy, isAllowed } from './caller-policy.ts';
import type { Clock } from './clock.ts';
import type { ClockOffsetEstimator } from './clock-offset.ts';
import type { Caller, CredentialConfig, NormalizedParams } from './credential.ts';
import type { EnvelopeCipher } from './envelope-cipher.ts';
import { BadRequestError, isBrokerError, MinTtlUnsatisfiableError, PolicyDeniedError } from './errors.ts';
import { MAX_MIN_TTL_SECONDS, TOKEN_SHA256_PATTERN } from './limits.ts';
import { normalizeParams } from './normalize-params.ts';
import type { SecretSource } from './secret-source.ts';
import { type Logger, type Metrics, noopLogger, noopMetrics } from './telemetry.ts';
import { makeTokenEngine } from './token-engine.ts';
import type { StoredVariant, TokenStore } from './token-store.ts';
import { makeTokenTiming } from './token-timing.ts';
import { makeTrueTime, trueClock } from './true-time.ts';
import type { UpstreamClient } from './upstream-client.ts';
import { variantId } from './variant-id.ts';
import type { VariantState } from './variant-state.ts';

export interface BrokerDeps {
  readonly credentials: readonly CredentialConfig[];
  readonly policy: CallerPolicy;
  readonly store: TokenStore;
  readonly secrets: SecretSource;
  readonly cipher: EnvelopeCipher;
  readonly upstreamFor: (credential: CredentialConfig) => UpstreamClient;
  /** This instance's own clock; the broker corrects it by `clockOffset`. */
  readonly clock: Clock;
  /**
   * Fed by the adapters with every response `Date` (HTTP clients, AWS SDK middleware). Absent,
   * `clock` is taken as true within `clockSkewToleranceMs` (only for a clock that is the reference
   * by construction, as in unit tests); every production composition passes one.
   */
  readonly clockOffset?: ClockOffsetEstimator;
  /** The composition's AWS/secret/cipher deadlines; given, the lease and wait settings are checked against them. */
  readonly refreshDeadlines?: RefreshDeadlines;
  readonly random?: () => number;
  readonly settings?: Partial<BrokerSettings>;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** Identifies this process in leases and mint records (not a secret). */
  readonly instanceId: string;
}

const MAX_VARIANTS_PER_CREDENTIAL = 1_000;
/** Most variants one listing shows per credential (bounded answers, whatever the table holds). */
const MAX_LISTED_VARIANTS = 100;
/** The ClockOffset metric at most this often per instance (local clock). */
const OFFSET_METRIC_INTERVAL_MS = 60_000;

export const makeBroker = (deps: BrokerDeps): Broker => {
  const settings: BrokerSettings = { ...DEFAULT_SETTINGS, ...deps.settings };
  const random = deps.random ?? Math.random;
  const metrics = deps.metrics ?? noopMetrics;
  const logger = deps.logger ?? noopLogger;
  const { store, policy } = deps;
  validateSettings(settings, deps.refreshDeadlines);
  const time = makeTrueTime(deps.clock, deps.clockOffset, settings.clockSkewToleranceMs);
  // Every rule of the core reads true time; only sleeping and elapsed-time checks use the local clock.
  const clock = trueClock(time);
  const timing = makeTokenTiming(settings, random, time);
  const engine = makeTokenEngine({ ...deps, clock, time, random, settings, timing, metrics, logger });
  let offsetPublishedAt = Number.NEGATIVE_INFINITY;
  const publishOffset = () => {
    const local = deps.clock.now();
    if (local - offsetPublishedAt < OFFSET_METRIC_INTERVAL_MS) return;
    offsetPublishedAt = local;
    const offset = time.offsetMs();
    if (offset !== undefined) metrics.add('ClockOffset', offset, 'Milliseconds');
  };
  const credentials = new Map(deps.credentials.map((c) => [c.id, c]));
  /** Per credential: variant id → state. The no-parameter variant is looked up without hashing. */
  const variants = new Map<string, Map<string, VariantState>>();
  const defaults = new Map<string, VariantState>();

  const stateFor = (credential: CredentialConfig, params: NormalizedParams, id = variantId(params)) => {
    let byId = variants.get(credential.id);
    if (!byId) {
      byId = new Map();
      variants.set(credential.id, byId);
    }
    let state = byId.get(id);
    if (!state) {
      // Bounded memory: callers choose parameters, so the set of variants must not grow without end.
      if (byId.size >= MAX_VARIANTS_PER_CREDENTIAL) byId.delete(byId.keys().next().value as string);
      state = { key: { credentialId: credential.id, variantId: id }, credential, params, source: 'table' };
      byId.set(id, state);
    }
    return state;
  };

  const variantOf = (credential: CredentialConfig, rawParams: unknown): VariantState => {
    if (rawParams === undefined || rawParams === null) {
      let state = defaults.get(credential.id);
      if (!state) {
        // Normalized like any request: `{}` and no params at all must name the same variant.
        state = stateFor(credential, normalizeParams(credential, undefined));
        defaults.set(credential.id, state);
      }
      return state;
    }
    const params = normalizeParams(credential, rawParams);
    return stateFor(credential, params);
  };

  /** Deny by default; unknown and forbidden credentials are indistinguishable to the caller. */
  const authorize = (caller: Caller, credentialId: string, admin = false): CredentialConfig => {
    const credential = credentials.get(credentialId);
    if (!credential || !isAllowed(policy, caller, credentialId, admin)) throw new PolicyDeniedError();
    return credential;
  };

  const parseMinTtl = (credential: CredentialConfig, value: unknown): number => {
    if (value === undefined) return 0;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_MIN_TTL_SECONDS) {
      throw new BadRequestError(`minTtlSeconds: must be an integer from 0 to ${MAX_MIN_TTL_SECONDS}`);
    }
    const maxMs = timing.maxGuaranteeMs(credential);
    if (value * 1000 > maxMs) {
      throw new MinTtlUnsatisfiableError(
        `minTtlSeconds: a fresh ${credential.kind} token can guarantee at most ${Math.floor(maxMs / 1000)} seconds`,
      );
    }
    return value * 1000;
  };

  const stateName = (item: StoredVariant, now: number): VariantStateName => {
    if (!item.token) return 'empty';
    if (timing.guaranteedMs(item.token, now) <= 0) return 'expired';
    return now >= item.token.refreshAt ? 'stale' : 'fresh';
  };

  /**
   * Whether a non-admin caller could ask for this variant today: its stored parameters normalize,
   * under the credential's current rules, back to the same variant. A variant created under an
   * older config, or with parameters this credential no longer lets callers choose, is not shown.
   */
  const requestable = (credential: CredentialConfig, item: StoredVariant): boolean => {
    const chosen: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(item.params)) {
      if (!Object.hasOwn(credential.fixedParams, name)) chosen[name] = value;
    }
    try {
      return variantId(normalizeParams(credential, chosen)) === item.key.variantId;
    } catch {
      return false;
    }
  };

  /**
   * Admins see every variant with its fingerprint and secret version. Other callers see only the
   * variants they may request, without fingerprint or secret version: a listed fingerprint must
   * never be enough to act on someone else's token (invalidation needs the token itself).
   */
  const summarize = async (credential: CredentialConfig, admin: boolean): Promise<CredentialSummary> => {
    const now = clock.now();
    const items = await store.list(credential.id);
    const visible = admin ? items : items.filter((item) => requestable(credential, item));
    // Callers choose parameters, so a credential can hold any number of variants: an answer lists
    // the most recently used MAX_LISTED_VARIANTS and says how many there are.
    const listed = [...visible]
      .sort((a, b) => (b.lastUsedAt ?? -1) - (a.lastUsedAt ?? -1))
      .slice(0, MAX_LISTED_VARIANTS);
    const summaries: VariantSummary[] = listed.map((item) => ({
      variantId: item.key.variantId,
      params: item.params,
      state: stateName(item, now),
      version: item.version,
      ...(item.token && {
        expiresAt: item.token.expiresAt,
        refreshAt: item.token.refreshAt,
        ...(admin && { fingerprint: item.token.fingerprint, secretVersionId: item.token.secretVersionId }),
      }),
      ...(item.lastUsedAt !== undefined && { lastUsedAt: item.lastUsedAt }),
      ...(item.failure && {
        failing: {
          code: item.failure.code,
          count: item.failure.count,
          since: item.failure.since ?? item.failure.at,
          // The stored mark, not a recomputation: admin detail, metric and log agree on one state.
          unhealthy: item.failure.unhealthyAt !== undefined,
        },
      }),
    }));
    return {
      id: credential.id,
      kind: credential.kind,
      callerParams: Object.keys(credential.callerParams),
      variants: summaries,
      variantCount: visible.length,
    };
  };

  /**
   * Proof of possession: whether `tokenSha256` (hex) is the SHA-256 of the variant's current token.
   * The plaintext comes from memory when this instance holds the current version, else from the
   * item itself; the comparison is constant-time, so the answer's timing says nothing about how
   * much of the hash matched.
   */
  const possesses = async (
    state: VariantState,
    item: StoredVariant,
    tokenSha256: string,
  ): Promise<boolean> => {
    const current = item.token;
    if (!current) return false;
    const cached = state.cached;
    let plaintext: string;
    if (cached && cached.version === item.version && cached.fingerprint === current.fingerprint) {
      plaintext = cached.token;
    } else {
      try {
        // The same encryption context the engine seals with: credential, variant and version.
        plaintext = await deps.cipher.open(current.envelope, {
          credentialId: state.key.credentialId,
          variantId: state.key.variantId,
          version: String(item.version),
        });
      } catch (error) {
        // An envelope that does not open is never served; nobody can prove they hold it.
        if (isBrokerError(error) && error.code === 'DECRYPT_FAILED') return false;
        throw error;
      }
    }
    const actual = createHash('sha256').update(plaintext, 'utf8').digest();
    return timingSafeEqual(actual, Buffer.from(tokenSha256, 'hex'));
  };

  const getToken: Broker['getToken'] = async (caller, request) => {
    const credential = authorize(caller, request.credentialId);
    const needMs = parseMinTtl(credential, request.minTtlSeconds);
    const state = variantOf(credential, request.params);
    const { token, tier } = await engine.obtain(state, needMs, request.signal);
    publishOffset();
    const now = clock.now();
    const served: ServedToken = {
      token: token.token,
      tokenType: 'Bearer',
      expiresAt: token.expiresAt,
      expiresIn: Math.floor(timing.guaranteedMs(token, now) / 1000),
      credentialId: credential.id,
      kind: credential.kind,
      fingerprint: token.fingerprint,
      tier,
    };
    metrics.add('TierHit', 1, 'Count', { tier });
    metrics.add('TokenAgeAtServe', Math.max(0, Math.round((now - token.issuedAt) / 1000)), 'Seconds', {
      tier,
    });
    // The audit trail: who got which token (by fingerprint), from where, until when.
    logger.info('token served', {
      audit: true,
      caller: caller.arn,
      credentialId: credential.id,
      variantId: state.key.variantId,
      fingerprint: token.fingerprint,
      expiresAt: token.expiresAt,
      tier,
      requestId: request.requestId,
    });
    return served;
  };

  const prewarm = async (): Promise<PrewarmReport> => {
    let refreshed = 0;
    let skipped = 0;
    const failures: { credentialId: string; variantId: string; code: string }[] = [];
    const now = clock.now();
    for (const credential of credentials.values()) {
      let items: StoredVariant[];
      try {
        items = await store.list(credential.id);
      } catch (error) {
        failures.push({ credentialId: credential.id, variantId: '*', code: codeOf(error) });
        continue;
      }
      for (const item of items) {
        const recentlyUsed =
          item.lastUsedAt !== undefined && now - item.lastUsedAt <= settings.prewarmRecentMs;
        const due = !item.token || now >= item.token.refreshAt;
        if (!recentlyUsed || !due) {
          skipped++;
          continue;
        }
        const state = stateFor(credential, item.params, item.key.variantId);
        try {
          (await engine.renew(state, item, false)) === 'renewed' ? refreshed++ : skipped++;
        } catch (error) {
          failures.push({ credentialId: credential.id, variantId: item.key.variantId, code: codeOf(error) });
        }
      }
    }
    metrics.add('PrewarmRefreshed', refreshed, 'Count');
    metrics.add('PrewarmSkipped', skipped, 'Count');
    metrics.add('PrewarmFailed', failures.length, 'Count');
    return { refreshed, skipped, failed: failures.length, failures };
  };

  return {
    getToken,
    prewarm,
    listCredentials: async (caller) => {
      const allowed = [...credentials.values()].filter((c) => isAllowed(policy, caller, c.id));
      return Promise.all(allowed.map((c) => summarize(c, isAllowed(policy, caller, c.id, true))));
    },
    describeCredential: async (caller, credentialId): Promise<CredentialDetail> => {
      const credential = authorize(caller, credentialId, true);
      const [summary, mints] = await Promise.all([
        summarize(credential, true),
        store.listMints(credential.id, 20),
      ]);
      return {
        ...summary,
        baseUrl: credential.baseUrl,
        health: healthOf(summary.variants),
        recentMints: mints.map((m) => ({
          variantId: m.key.variantId,
          fingerprint: m.fingerprint,
          issuedAt: m.issuedAt,
          expiresAt: m.expiresAt,
          secretVersionId: m.secretVersionId,
          via: m.via,
        })),
      };
    },
    invalidate: async (caller, request) => {
      const credential = authorize(caller, request.credentialId);
      if (typeof request.tokenSha256 !== 'string' || !TOKEN_SHA256_PATTERN.test(request.tokenSha256)) {
        throw new BadRequestError('tokenSha256: must be the 64 lower-case hex SHA-256 of the rejected token');
      }
      const state = variantOf(credential, request.params);
      const item = await store.read(state.key);
      const proven = item !== undefined && (await possesses(state, item, request.tokenSha256));
      // Fenced on the fingerprint just proven: a newer token written since is never evicted.
      const reported = item?.token?.fingerprint;
      const invalidated = proven && reported !== undefined && (await store.invalidate(state.key, reported));
      if (invalidated && state.cached?.fingerprint === reported) state.cached = undefined;
      logger.info('token invalidation reported', {
        audit: true,
        caller: caller.arn,
        credentialId: credential.id,
        variantId: state.key.variantId,
        ...(proven && { fingerprint: reported }),
        proven,
        invalidated,
      });
      return { invalidated };
    },
    forceRefresh: async (caller, credentialId) => {
      const credential = authorize(caller, credentialId, true);
      const items = await store.list(credential.id);
      const targets = items.length > 0 ? items : [undefined];
      let refreshed = 0;
      for (const item of targets) {
        const state = item
          ? stateFor(credential, item.params, item.key.variantId)
          : variantOf(credential, undefined);
        if ((await engine.renew(state, item, true)) === 'renewed') refreshed++;
      }
      logger.info('forced refresh', { audit: true, caller: caller.arn, credentialId, refreshed });
      return { refreshed };
    },
    purge: async (caller, credentialId) => {
      authorize(caller, credentialId, true);
      const purged = await store.purge(credentialId);
      for (const state of variants.get(credentialId)?.values() ?? []) state.cached = undefined;
      logger.info('tokens purged', { audit: true, caller: caller.arn, credentialId, purged });
      return { purged };
    },
  };
};

/** The longest-failing unhealthy variant speaks for the credential. */
const healthOf = (variants: readonly VariantSummary[]): CredentialHealth => {
  const unhealthy = variants
    .map((v) => v.failing)
    .filter((f): f is NonNullable<VariantSummary['failing']> => f?.unhealthy === true)
    .sort((a, b) => a.since - b.since);
  const first = unhealthy[0];
  return first === undefined
    ? { state: 'healthy' }
    : { state: 'unhealthy', code: first.code, since: first.since, variants: unhealthy.length };
};

const codeOf = (error: unknown): string => (isBrokerError(error) ? error.code : 'INTERNAL');
