import type { BrokerSettings } from './broker-settings.ts';
import type { Clock } from './clock.ts';
import { isBrokerError } from './errors.ts';
import type { JoinCycle } from './refresh-cycle.ts';
import { tokenUnavailable } from './token-unavailable.ts';
import type { UsageTouch } from './usage-touch.ts';
import type { CachedToken, Served, VariantState } from './variant-state.ts';

/** Serves a token with at least `needMs` of guaranteed life: memory, then table, then one refresh. */
export type ReadThrough = (state: VariantState, needMs: number, signal?: AbortSignal) => Promise<Served>;

export interface ReadThroughDeps {
  readonly clock: Clock;
  readonly settings: BrokerSettings;
  readonly servable: (token: CachedToken | undefined, needMs: number, now: number) => token is CachedToken;
  readonly join: JoinCycle;
  readonly touch: UsageTouch;
}

/**
 * The read-through. A stale token (past `refreshAt`, still servable) is served as it is and NOT
 * renewed here: a renewal started after the answer would run on a frozen Lambda instance (holding
 * its lease while frozen), and one finished before the answer would make this caller wait for
 * upstream. Renewal ahead of expiry is the pre-warm's job (background-renewal.ts), which has three
 * or more runs inside the refresh lead; a token nobody renewed in time is renewed by the first
 * caller it no longer covers, in that caller's request.
 */
export const makeReadThrough =
  ({ clock, settings, servable, join, touch }: ReadThroughDeps): ReadThrough =>
  async (state, needMs, signal) => {
    const start = clock.now();
    const first = state.cached;
    if (servable(first, needMs, start) && start - first.checkedAt < settings.memoryRecheckMs) {
      await touch(state, start);
      return { token: first, tier: 'memory' };
    }
    const deadline = start + settings.maxWaitMs;
    // The touch goes alongside the table read, not after it: the item is almost always there (it
    // holds the token the read will find), and a touch never creates an item. Only a variant whose
    // item this very cycle creates (a mint) is touched again once it exists.
    const early = touch(state, start);
    try {
      for (;;) {
        const joined = join(state, needMs, signal);
        const cycleNeedMs = state.cycleNeedMs ?? needMs;
        try {
          await joined;
        } catch (error) {
          // Availability first: a token that still covers the caller is served even when the table
          // or upstream is failing.
          const fallback = state.cached;
          if (servable(fallback, needMs, clock.now())) return { token: fallback, tier: 'memory' };
          // A refusal for a longer need than this caller's is not this caller's answer: try again
          // with its own need (which starts a cycle for it if none runs).
          if (
            isBrokerError(error) &&
            error.code === 'MIN_TTL_UNSATISFIABLE' &&
            cycleNeedMs > needMs &&
            clock.now() < deadline
          ) {
            continue;
          }
          throw error;
        }
        const now = clock.now();
        const token = state.cached;
        if (servable(token, needMs, now)) {
          await early;
          // Once per mint: the first caller back from it re-touches (moving touchedAt past every
          // concurrent caller's start), the others see the fresh touch and skip.
          const created = first === undefined && state.source === 'upstream';
          await touch(state, now, created && (state.touchedAt ?? 0) <= start);
          return { token, tier: state.source };
        }
        if (now >= deadline) throw tokenUnavailable(settings.pollMaxMs, { reason: 'REFRESH_IN_PROGRESS' });
      }
    } finally {
      // Whatever the answer, the touch has finished before it (nothing runs after a Lambda answers).
      await early;
    }
  };
