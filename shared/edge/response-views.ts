import type { CredentialDetail, CredentialSummary, ServedToken, VariantSummary } from '../core/broker.ts';
import type { TokenBody } from '../core/token-body.ts';

/**
 * The public JSON shapes of broker results. Fields are picked one by one, never spread, so a field
 * added to a core type is not published (or leaked) until someone decides it should be. Times are
 * ISO 8601 strings.
 */

export type { TokenBody };

const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

/** A served token's expiry repeats on every hit until it is renewed: format it once. */
let lastExpiresAt: number | undefined;
let lastExpiresAtIso = '';
const expiryIso = (ms: number): string => {
  if (ms !== lastExpiresAt) {
    lastExpiresAtIso = new Date(ms).toISOString();
    lastExpiresAt = ms;
  }
  return lastExpiresAtIso;
};

export const toTokenBody = (served: ServedToken): TokenBody => ({
  token: served.token,
  tokenType: served.tokenType,
  expiresAt: expiryIso(served.expiresAt),
  expiresIn: served.expiresIn,
  credentialId: served.credentialId,
  kind: served.kind,
  fingerprint: served.fingerprint,
});

const toVariantView = (v: VariantSummary) => ({
  variantId: v.variantId,
  params: v.params,
  state: v.state,
  version: v.version,
  expiresAt: iso(v.expiresAt),
  refreshAt: iso(v.refreshAt),
  fingerprint: v.fingerprint,
  secretVersionId: v.secretVersionId,
  lastUsedAt: iso(v.lastUsedAt),
  failing:
    v.failing === undefined
      ? undefined
      : {
          code: v.failing.code,
          count: v.failing.count,
          since: iso(v.failing.since),
          unhealthy: v.failing.unhealthy,
        },
});

export const toSummaryView = (c: CredentialSummary) => ({
  id: c.id,
  kind: c.kind,
  callerParams: c.callerParams,
  variants: c.variants.map(toVariantView),
  variantCount: c.variantCount,
  truncated: c.variantCount > c.variants.length,
});

export const toDetailView = (c: CredentialDetail) => ({
  ...toSummaryView(c),
  baseUrl: c.baseUrl,
  health:
    c.health.state === 'healthy'
      ? { state: c.health.state }
      : {
          state: c.health.state,
          code: c.health.code,
          since: iso(c.health.since),
          variants: c.health.variants,
        },
  recentMints: c.recentMints.map((m) => ({
    variantId: m.variantId,
    fingerprint: m.fingerprint,
    issuedAt: iso(m.issuedAt),
    expiresAt: iso(m.expiresAt),
    secretVersionId: m.secretVersionId,
    via: m.via,
  })),
});
