import type { Clock } from './clock.ts';
import type { CredentialConfig } from './credential.ts';
import { errorSummary } from './error-summary.ts';
import { isBrokerError } from './errors.ts';
import type { SecretSource, SecretValue } from './secret-source.ts';
import type { Logger, Metrics } from './telemetry.ts';
import type { IssuedToken, UpstreamClient } from './upstream-client.ts';
import { afterRefreshFailure } from './upstream-failure.ts';
import { type CachedToken, type VariantState, variantLogFields } from './variant-state.ts';

export interface UpstreamCallResult {
  /** The secret the token was issued with (its version is recorded on the token). */
  readonly secret: SecretValue;
  readonly issued: IssuedToken;
  readonly via: 'mint' | 'refresh';
}

/**
 * One renewal's call to Instructure: a refresh of `previous` while it is refreshable, else a mint;
 * on rejected credentials the secret is read again once, bypassing caches, and with a new version
 * the call is retried once with a mint. Throws what upstream answered otherwise.
 */
export type UpstreamCall = (
  state: VariantState,
  previous: CachedToken | undefined,
) => Promise<UpstreamCallResult>;

export interface UpstreamCallDeps {
  readonly secrets: SecretSource;
  readonly upstreamFor: (credential: CredentialConfig) => UpstreamClient;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly instanceId: string;
}

export const makeUpstreamCall = ({
  secrets,
  upstreamFor,
  clock,
  metrics,
  logger,
  instanceId,
}: UpstreamCallDeps): UpstreamCall => {
  const upstreams = new Map<string, UpstreamClient>();
  const upstreamOf = (credential: CredentialConfig): UpstreamClient => {
    let client = upstreams.get(credential.id);
    if (!client) {
      client = upstreamFor(credential);
      upstreams.set(credential.id, client);
    }
    return client;
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
        // (handled below), ends the renewal here; everything else mints at once.
        if (afterRefreshFailure(error) !== 'mint') throw error;
        metrics.add('RefreshFallback', 1, 'Count', { credentialId: state.key.credentialId });
        logger.warn('refresh failed; minting a new token instead', {
          ...variantLogFields(state, instanceId),
          ...errorSummary.fields(isBrokerError(error) ? error : undefined),
        });
      }
    }
    return { issued: await client.mint(request), via: 'mint' };
  };

  return async (state, previous) => {
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
};
