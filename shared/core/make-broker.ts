import type {
  Broker,
  CredentialDetail,
  CredentialSummary,
  PrewarmReport,
  ServedToken,
  VariantState as VariantStateName,
  VariantSummary,
} from './broker.ts';
import { type BrokerSettings, DEFAULT_SETTINGS } from './broker-settings.ts';
import { type CallerPolicy, isAllowed } from './caller-policy.ts';
import type { Clock } from './clock.ts';
import type { Caller, CredentialConfig, NormalizedParams } from './credential.ts';
import type { EnvelopeCipher } from './envelope-cipher.ts';
import { BadRequestError, isBrokerError, MinTtlUnsatisfiableError, PolicyDeniedError } from './errors.ts';
import { normalizeParams } from './normalize-params.ts';
import type { SecretSource } from './secret-source.ts';
import { type Logger, type Metrics, noopLogger, noopMetrics } from './telemetry.ts';
import { makeTokenEngine, type VariantState } from './token-engine.ts';
import type { StoredVariant, TokenStore } from './token-store.ts';
import { makeTokenTiming } from './token-timing.ts';
import type { UpstreamClient } from './upstream-client.ts';
import { variantId } from './variant-id.ts';

export interface BrokerDeps {
  readonly credentials: readonly CredentialConfig[];
  readonly policy: CallerPolicy;
  readonly store: TokenStore;
  readonly secrets: SecretSource;
  readonly cipher: EnvelopeCipher;
  readonly upstreamFor: (credential: CredentialConfig) => UpstreamClient;
  readonly clock: Clock;
  readonly random?: () => number;
  readonly settings?: Partial<BrokerSettings>;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** Identifies this process in leases and mint records (not a secret). */
  readonly instanceId: string;
}

const MAX_MIN_TTL_SECONDS = 86_400;
const MAX_VARIANTS_PER_CREDENTIAL = 1_000;

export const makeBroker = (deps: BrokerDeps): Broker => {
  const settings: BrokerSettings = { ...DEFAULT_SETTINGS, ...deps.settings };
  const random = deps.random ?? Math.random;
  const metrics = deps.metrics ?? noopMetrics;
  const logger = deps.logger ?? noopLogger;
  const { clock, store, policy } = deps;
  const timing = makeTokenTiming(settings, random);
  const engine = makeTokenEngine({ ...deps, random, settings, timing, metrics, logger });
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

  const summarize = async (credential: CredentialConfig): Promise<CredentialSummary> => {
    const now = clock.now();
    const items = await store.list(credential.id);
    const summaries: VariantSummary[] = items.map((item) => ({
      variantId: item.key.variantId,
      params: item.params,
      state: stateName(item, now),
      version: item.version,
      ...(item.token && {
        expiresAt: item.token.expiresAt,
        refreshAt: item.token.refreshAt,
        fingerprint: item.token.fingerprint,
        secretVersionId: item.token.secretVersionId,
      }),
      ...(item.lastUsedAt !== undefined && { lastUsedAt: item.lastUsedAt }),
      ...(item.failure && { failing: { code: item.failure.code, count: item.failure.count } }),
    }));
    return {
      id: credential.id,
      kind: credential.kind,
      callerParams: Object.keys(credential.callerParams),
      variants: summaries,
    };
  };

  const getToken: Broker['getToken'] = async (caller, request) => {
    const credential = authorize(caller, request.credentialId);
    const needMs = parseMinTtl(credential, request.minTtlSeconds);
    const state = variantOf(credential, request.params);
    const { token, tier } = await engine.obtain(state, needMs, request.signal);
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
      return Promise.all(allowed.map(summarize));
    },
    describeCredential: async (caller, credentialId): Promise<CredentialDetail> => {
      const credential = authorize(caller, credentialId, true);
      const [summary, mints] = await Promise.all([summarize(credential), store.listMints(credential.id, 20)]);
      return {
        ...summary,
        baseUrl: credential.baseUrl,
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
      const state = variantOf(credential, request.params);
      const invalidated = await store.invalidate(state.key, request.fingerprint);
      if (state.cached?.fingerprint === request.fingerprint) state.cached = undefined;
      logger.info('token invalidation reported', {
        audit: true,
        caller: caller.arn,
        credentialId: credential.id,
        fingerprint: request.fingerprint,
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

const codeOf = (error: unknown): string => (isBrokerError(error) ? error.code : 'INTERNAL');
