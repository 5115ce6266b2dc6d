import { errorSummary } from './error-summary.ts';
import type { Logger } from './telemetry.ts';
import type { TokenStore } from './token-store.ts';
import { type VariantState, variantLogFields } from './variant-state.ts';

/**
 * Records recent use for the pre-warm, inside the request: on Lambda nothing may run after the
 * answer (the instance is frozen, the write would be lost and the pre-warm would think the
 * variant idle). At most once per `touchIntervalMs` per variant per instance (or always with
 * `force`), so it costs one small write per variant every few minutes; a failure is logged and
 * never fails the request.
 */
export type UsageTouch = (state: VariantState, now: number, force?: boolean) => Promise<void>;

export interface UsageTouchDeps {
  readonly store: TokenStore;
  readonly touchIntervalMs: number;
  readonly logger: Logger;
  readonly instanceId: string;
}

/** What a touch that is not due answers: one settled promise, so a burst of callers allocates none. */
const NOT_DUE: Promise<void> = Promise.resolve();

export const makeUsageTouch = ({
  store,
  touchIntervalMs,
  logger,
  instanceId,
}: UsageTouchDeps): UsageTouch => {
  const write = async (state: VariantState, now: number): Promise<void> => {
    try {
      await store.touch(state.key, now);
    } catch (error) {
      logger.warn('lastUsedAt not written', {
        ...variantLogFields(state, instanceId),
        error: errorSummary.of(error),
      });
    }
  };
  return (state, now, force = false) => {
    if (!force && state.touchedAt !== undefined && now - state.touchedAt < touchIntervalMs) return NOT_DUE;
    state.touchedAt = now;
    return write(state, now);
  };
};
