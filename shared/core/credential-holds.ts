import { errorSummary } from './error-summary.ts';
import type { TokenUnavailableError } from './errors.ts';
import { credentialHoldOf, type HoldTracker } from './hold-tracker.ts';
import type { Logger, Metrics } from './telemetry.ts';
import type { CredentialHold, TokenStore } from './token-store.ts';
import { tokenUnavailable } from './token-unavailable.ts';
import { type VariantState, variantLogFields } from './variant-state.ts';

/**
 * Throttle holds on a whole credential (issue 13: Canvas throttles per access token, not per
 * parameter set), as this instance knows them: one per configured credential at most.
 */
export interface CredentialHolds {
  /** A live hold this instance already knows of: costs no read. */
  heldLocally(credentialId: string): boolean;
  /**
   * The live hold on the variant's credential, if any. A hold this instance already knows costs no
   * read. Fails open: the hold only spares upstream, the lease already bounds the calls, so an
   * unreadable hold never keeps a token from being issued.
   */
  live(state: VariantState): Promise<CredentialHold | undefined>;
  /** A hold this instance has just decided on (and is writing). */
  remember(credentialId: string, hold: CredentialHold): void;
  /** Nothing is recorded for a held variant (nothing was tried): its callers get the hold's remaining time. */
  unavailable(state: VariantState, hold: CredentialHold): TokenUnavailableError;
}

export interface CredentialHoldsDeps {
  readonly store: TokenStore;
  readonly holds: HoldTracker;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly instanceId: string;
}

export const makeCredentialHolds = ({
  store,
  holds,
  metrics,
  logger,
  instanceId,
}: CredentialHoldsDeps): CredentialHolds => {
  const known = new Map<string, CredentialHold>();
  const heldLocally = (credentialId: string): boolean => {
    const hold = known.get(credentialId);
    return hold !== undefined && !holds.passed(credentialHoldOf(hold));
  };
  return {
    heldLocally,
    live: async (state) => {
      const id = state.key.credentialId;
      if (heldLocally(id)) return known.get(id);
      let stored: CredentialHold | undefined;
      try {
        stored = await store.readCredentialHold(id);
      } catch (error) {
        logger.warn('credential hold not read; calling upstream anyway', {
          ...variantLogFields(state, instanceId),
          error: errorSummary.of(error),
        });
        return undefined;
      }
      if (!stored || holds.passed(credentialHoldOf(stored))) return undefined;
      known.set(id, stored);
      return stored;
    },
    remember: (credentialId, hold) => {
      known.set(credentialId, hold);
    },
    unavailable: (state, hold) => {
      metrics.add('Unavailable', 1, 'Count', { credentialId: state.key.credentialId });
      return tokenUnavailable(holds.retryAfterMs(credentialHoldOf(hold)), {
        reason: 'CREDENTIAL_THROTTLED',
        heldFor: hold.code,
      });
    },
  };
};
