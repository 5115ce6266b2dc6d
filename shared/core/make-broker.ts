import type { Broker, ServedToken } from './broker.ts';
import {
  type BrokerSettings,
  DEFAULT_SETTINGS,
  type RefreshDeadlines,
  validateSettings,
} from './broker-settings.ts';
import { type CallerPolicy, isAllowed } from './caller-policy.ts';
import type { Clock } from './clock.ts';
import type { ClockOffsetEstimator } from './clock-offset.ts';
import type { Caller, CredentialConfig } from './credential.ts';
import { makeCredentialSummaries } from './credential-summaries.ts';
import type { EnvelopeCipher } from './envelope-cipher.ts';
import { BadRequestError, MinTtlUnsatisfiableError, PolicyDeniedError } from './errors.ts';
import { MAX_MIN_TTL_SECONDS, TOKEN_SHA256_PATTERN } from './limits.ts';
import { makePrewarmPass } from './prewarm-pass.ts';
import type { SecretSource } from './secret-source.ts';
import { type Logger, type Metrics, noopLogger, noopMetrics } from './telemetry.ts';
import { makeTokenEngine } from './token-engine.ts';
import { makeTokenPossession } from './token-possession.ts';
import type { TokenStore } from './token-store.ts';
import { makeTokenTiming } from './token-timing.ts';
import { makeTrueTime, trueClock } from './true-time.ts';
import type { UpstreamClient } from './upstream-client.ts';
import { makeVariantRegistry } from './variant-registry.ts';

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
  const variants = makeVariantRegistry();
  const summaries = makeCredentialSummaries({ store, clock, timing });
  const possesses = makeTokenPossession(deps.cipher);

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

  const getToken: Broker['getToken'] = async (caller, request) => {
    const credential = authorize(caller, request.credentialId);
    const needMs = parseMinTtl(credential, request.minTtlSeconds);
    const state = variants.variantOf(credential, request.params);
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

  const prewarm = makePrewarmPass({
    credentials: deps.credentials,
    store,
    clock,
    settings,
    metrics,
    variants,
    renew: engine.renew,
  });

  return {
    getToken,
    prewarm,
    listCredentials: async (caller) => {
      const allowed = [...credentials.values()].filter((c) => isAllowed(policy, caller, c.id));
      return Promise.all(allowed.map((c) => summaries.summary(c, isAllowed(policy, caller, c.id, true))));
    },
    describeCredential: async (caller, credentialId) =>
      summaries.detail(authorize(caller, credentialId, true)),
    invalidate: async (caller, request) => {
      const credential = authorize(caller, request.credentialId);
      if (typeof request.tokenSha256 !== 'string' || !TOKEN_SHA256_PATTERN.test(request.tokenSha256)) {
        throw new BadRequestError('tokenSha256: must be the 64 lower-case hex SHA-256 of the rejected token');
      }
      const state = variants.variantOf(credential, request.params);
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
          ? variants.stateFor(credential, item.params, item.key.variantId)
          : variants.variantOf(credential, undefined);
        if ((await engine.renew(state, item, true)) === 'renewed') refreshed++;
      }
      logger.info('forced refresh', { audit: true, caller: caller.arn, credentialId, refreshed });
      return { refreshed };
    },
    purge: async (caller, credentialId) => {
      authorize(caller, credentialId, true);
      const purged = await store.purge(credentialId);
      for (const state of variants.statesOf(credentialId)) state.cached = undefined;
      logger.info('tokens purged', { audit: true, caller: caller.arn, credentialId, purged });
      return { purged };
    },
  };
};
