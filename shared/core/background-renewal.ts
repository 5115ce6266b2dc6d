import type { Clock } from './clock.ts';
import type { CredentialHolds } from './credential-holds.ts';
import { failureHoldOf, type HoldTracker } from './hold-tracker.ts';
import type { LeasedRefresh } from './leased-refresh.ts';
import type { TableSync } from './table-sync.ts';
import type { StoredVariant } from './token-store.ts';
import type { VariantState } from './variant-state.ts';

/** Renews now if due (or always with `force`), honouring another instance's lease. */
export type BackgroundRenewal = (
  state: VariantState,
  item: StoredVariant | undefined,
  force: boolean,
) => Promise<'renewed' | 'skipped'>;

export interface BackgroundRenewalDeps {
  readonly clock: Clock;
  readonly holds: HoldTracker;
  readonly credentialHolds: CredentialHolds;
  readonly tableSync: TableSync;
  readonly refresh: LeasedRefresh;
}

/**
 * The pre-warm's (and an admin refresh's) renewal of one variant it has just listed. The item's
 * metadata decides; the token is opened only for a renewal that presents it (canvas-jwt's
 * /jwts/refresh), so a pre-warm pass and every other renewal cost no Decrypt.
 */
export const makeBackgroundRenewal =
  ({ clock, holds, credentialHolds, tableSync, refresh }: BackgroundRenewalDeps): BackgroundRenewal =>
  async (state, item, force) => {
    const now = clock.now();
    if (!force && item?.token && now < item.token.refreshAt) return 'skipped';
    if (item?.lease && !holds.passed(item.lease)) return 'skipped';
    if (!force && item?.failure && !holds.passed(failureHoldOf(item.failure))) return 'skipped';
    // The pre-warm (or a forced renewal's caller) waits out a throttle quietly.
    if (!force && credentialHolds.heldLocally(state.key.credentialId)) return 'skipped';
    await tableSync.sync(state, item, tableSync.forRefresh);
    return (await refresh(state, item)) === 'won' ? 'renewed' : 'skipped';
  };
