import type { BackgroundRenewal } from './background-renewal.ts';
import type { PrewarmReport } from './broker.ts';
import type { BrokerSettings } from './broker-settings.ts';
import type { Clock } from './clock.ts';
import type { CredentialConfig } from './credential.ts';
import { isBrokerError } from './errors.ts';
import type { Metrics } from './telemetry.ts';
import type { StoredVariant, TokenStore } from './token-store.ts';
import type { VariantRegistry } from './variant-registry.ts';

export interface PrewarmPassDeps {
  readonly credentials: readonly CredentialConfig[];
  readonly store: TokenStore;
  readonly clock: Clock;
  readonly settings: Pick<BrokerSettings, 'prewarmRecentMs'>;
  readonly metrics: Metrics;
  readonly variants: VariantRegistry;
  readonly renew: BackgroundRenewal;
}

const codeOf = (error: unknown): string => (isBrokerError(error) ? error.code : 'INTERNAL');

/**
 * One pre-warm run: every variant used within `prewarmRecentMs` whose token is due (past
 * `refreshAt`, or none) is renewed, one at a time. A credential whose variants cannot be listed,
 * or a variant whose renewal fails, is reported by code and does not stop the others.
 */
export const makePrewarmPass =
  ({ credentials, store, clock, settings, metrics, variants, renew }: PrewarmPassDeps) =>
  async (): Promise<PrewarmReport> => {
    let refreshed = 0;
    let skipped = 0;
    const failures: { credentialId: string; variantId: string; code: string }[] = [];
    const now = clock.now();
    for (const credential of credentials) {
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
        const state = variants.stateFor(credential, item.params, item.key.variantId);
        try {
          (await renew(state, item, false)) === 'renewed' ? refreshed++ : skipped++;
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
