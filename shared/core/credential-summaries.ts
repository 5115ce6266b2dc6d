import type {
  CredentialDetail,
  CredentialHealth,
  CredentialSummary,
  VariantState as VariantStateName,
  VariantSummary,
} from './broker.ts';
import type { Clock } from './clock.ts';
import type { CredentialConfig } from './credential.ts';
import { normalizeParams } from './normalize-params.ts';
import type { StoredVariant, TokenStore } from './token-store.ts';
import type { TokenTiming } from './token-timing.ts';
import { variantId } from './variant-id.ts';

/** Most variants one listing shows per credential (bounded answers, whatever the table holds). */
export const MAX_LISTED_VARIANTS = 100;
/** Mint records an admin's detail shows. */
const RECENT_MINTS = 20;

/** What callers and admins see of a credential: cache state from the table, never a token. */
export interface CredentialSummaries {
  summary(credential: CredentialConfig, admin: boolean): Promise<CredentialSummary>;
  /** The admin view: every variant, health, recent mints. */
  detail(credential: CredentialConfig): Promise<CredentialDetail>;
}

export interface CredentialSummariesDeps {
  readonly store: TokenStore;
  readonly clock: Clock;
  readonly timing: TokenTiming;
}

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

export const makeCredentialSummaries = ({
  store,
  clock,
  timing,
}: CredentialSummariesDeps): CredentialSummaries => {
  /** The design's token states: fresh until refreshAt, then stale while it still guarantees life, then expired. */
  const stateName = (item: StoredVariant, now: number): VariantStateName => {
    if (!item.token) return 'empty';
    if (timing.guaranteedMs(item.token, now) <= 0) return 'expired';
    return now >= item.token.refreshAt ? 'stale' : 'fresh';
  };

  /**
   * Admins see every variant with its fingerprint and secret version. Other callers see only the
   * variants they may request, without fingerprint or secret version: a listed fingerprint must
   * never be enough to act on someone else's token (invalidation needs the token itself).
   */
  const summary: CredentialSummaries['summary'] = async (credential, admin) => {
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

  return {
    summary,
    detail: async (credential) => {
      const [listed, mints] = await Promise.all([
        summary(credential, true),
        store.listMints(credential.id, RECENT_MINTS),
      ]);
      return {
        ...listed,
        baseUrl: credential.baseUrl,
        health: healthOf(listed.variants),
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
  };
};
