import type { BrokerSettings } from './broker-settings.ts';
import type { Clock } from './clock.ts';
import { MinTtlUnsatisfiableError } from './errors.ts';
import { failureHoldOf, type HoldTracker } from './hold-tracker.ts';
import type { LeasedRefresh } from './leased-refresh.ts';
import type { MintPaces } from './mint-pace.ts';
import type { TableSync } from './table-sync.ts';
import type { Metrics } from './telemetry.ts';
import type { TokenStore } from './token-store.ts';
import { tokenUnavailable } from './token-unavailable.ts';
import { untilAborted } from './until-aborted.ts';
import type { CachedToken, CycleWaiter, VariantState } from './variant-state.ts';

/**
 * Waits on the variant's cycle (starting one for `needMs` if none runs) until the token in memory
 * covers `needMs` or the cycle ends. One cycle per variant per instance: it reads the table, and
 * refreshes or waits for whoever does, until a token covers the need it was started for.
 */
export type JoinCycle = (state: VariantState, needMs: number, signal?: AbortSignal) => Promise<void>;

export interface RefreshCycleDeps {
  readonly store: TokenStore;
  readonly clock: Clock;
  readonly random: () => number;
  readonly settings: BrokerSettings;
  readonly metrics: Metrics;
  readonly holds: HoldTracker;
  readonly paces: MintPaces;
  readonly tableSync: TableSync;
  readonly refresh: LeasedRefresh;
  readonly servable: (token: CachedToken | undefined, needMs: number, now: number) => token is CachedToken;
}

export const makeRefreshCycle = (deps: RefreshCycleDeps): JoinCycle => {
  const { store, clock, settings, metrics, holds, paces, tableSync, refresh, servable } = deps;

  /**
   * The most a caller may ask of this variant: what a fresh token gets, less a margin of cover. A
   * need that a fresh token would meet for less than the refresh lead (at most half its life) is
   * refused in advance: meeting it would cost a new mint every few seconds, and a need no fresh
   * token meets would cost a mint per request. Either way, once the variant has had one token,
   * such a need costs no upstream call at all. Undefined (no limit beyond the nominal one, checked
   * at parse time) until the variant has had a token.
   */
  const ceilingMs = (state: VariantState): number | undefined => {
    const fresh = state.freshGuaranteeMs;
    if (fresh === undefined) return undefined;
    return fresh - Math.min(settings.refreshLeadMs, Math.max(fresh, 0) / 2);
  };
  const unsatisfiable = (ceiling: number) =>
    new MinTtlUnsatisfiableError(
      `minTtlSeconds: a fresh token of this credential can guarantee at most ${Math.max(0, Math.floor(ceiling / 1000))} seconds`,
    );
  const unavailable = (state: VariantState, ms: number, reason: string) => {
    metrics.add('Unavailable', 1, 'Count', { credentialId: state.key.credentialId });
    return tokenUnavailable(ms, { reason });
  };
  /** Wakes every waiter (each checks its own need against the token now in memory). */
  const wake = (state: VariantState): void => {
    for (const waiter of state.waiters?.values() ?? []) waiter.check();
  };

  const runCycle = async (state: VariantState, needMs: number): Promise<void> => {
    const pace = paces.of(state.key.credentialId);
    const deadline = clock.now() + settings.maxWaitMs;
    let attempt = 0;
    // The lease this cycle waits on: when a read first showed it, and when the last one still did
    // (local clock: lease stamps are true time at the holder's latest, too coarse for a pace).
    let waitedOn:
      | { readonly firstReadAt: number; readonly lastReadAt: number; readonly version: number }
      | undefined;
    for (;;) {
      const readAt = clock.now();
      const item = await store.read(state.key);
      if (waitedOn && item?.token && item.version > waitedOn.version) {
        // The holder wrote how long its renewal took: that is the pace of renewals this instance
        // does not run itself. An older item without it: the holder finished between the last two
        // reads, and their midpoint is the best this instance can tell.
        pace.observe(item.token.renewalMs ?? (waitedOn.lastReadAt + readAt) / 2 - waitedOn.firstReadAt);
        waitedOn = undefined;
      }
      await tableSync.sync(state, item, tableSync.forServing);
      wake(state);
      const now = clock.now();
      if (servable(state.cached, needMs, now)) return;
      const ceiling = ceilingMs(state);
      if (ceiling !== undefined && needMs > ceiling) throw unsatisfiable(ceiling);
      if (item?.failure && !holds.passed(failureHoldOf(item.failure))) {
        throw unavailable(state, holds.retryAfterMs(failureHoldOf(item.failure)), item.failure.code);
      }
      if (item?.lease && !holds.passed(item.lease)) {
        if (item.failure) {
          // The variant is failing and another instance is retrying it (its failure hold has
          // passed): the design promises callers with no valid token a fast 503, so nobody polls
          // behind a retry that is likely doomed. A retry that succeeds serves the next request.
          throw unavailable(
            state,
            Math.min(holds.remainingMs(item.lease), settings.upstreamTimeoutMs),
            item.failure.code,
          );
        }
        if (now >= deadline)
          throw tokenUnavailable(holds.remainingMs(item.lease), { reason: 'REFRESH_IN_PROGRESS' });
        waitedOn = {
          firstReadAt: waitedOn?.firstReadAt ?? readAt,
          lastReadAt: readAt,
          version: item.version,
        };
        // The lease's age as this instance has seen it (at least that old: the first poll may come late, never early).
        const leaseAgeMs = now - waitedOn.firstReadAt;
        const wait = Math.min(pace.waitMs(attempt, leaseAgeMs, deps.random()), Math.max(deadline - now, 1));
        metrics.add('LeaseWait', wait, 'Milliseconds', { credentialId: state.key.credentialId });
        await clock.sleep(wait);
        attempt++;
        continue;
      }
      if ((await refresh(state, item)) === 'won') {
        wake(state);
        if (servable(state.cached, needMs, clock.now())) return;
        // Never mint again in a loop for a caller no fresh token can satisfy.
        throw unsatisfiable(ceilingMs(state) ?? 0);
      }
      const lostAt = clock.now();
      if (lostAt >= deadline) throw tokenUnavailable(settings.leaseMs, { reason: 'REFRESH_IN_PROGRESS' });
      // Lost the lease race: another instance took it an instant ago. Reading again at once would
      // only show its lease; the next read is due when its renewal should be done.
      // The winner's lease went in about when ours was refused: its renewal is timed from then.
      waitedOn = { firstReadAt: lostAt, lastReadAt: lostAt, version: item?.version ?? 0 };
      await clock.sleep(Math.min(pace.waitMs(0, 0, deps.random()), Math.max(deadline - lostAt, 1)));
      attempt = 1;
    }
  };

  /**
   * One waiter per need per cycle, however many callers share that need: a burst of a thousand
   * callers costs one check per wake and one promise, not a thousand of each.
   */
  const waiterFor = (state: VariantState, needMs: number, cycle: Promise<void>): CycleWaiter => {
    state.waiters ??= new Map();
    const waiters = state.waiters;
    const existing = waiters.get(needMs);
    if (existing?.cycle === cycle) return existing;
    let resolveDone!: () => void;
    let rejectDone!: (error: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    // Every caller that awaits `done` still gets the failure. This handler only keeps a failure
    // nobody awaits (its callers aborted before it came) from being an unhandled rejection, which
    // would end the process.
    done.catch(() => undefined);
    const leave = () => {
      if (waiters.get(needMs) === waiter) waiters.delete(needMs);
    };
    const waiter: CycleWaiter = {
      cycle,
      done,
      check: () => {
        if (!servable(state.cached, needMs, clock.now())) return;
        leave();
        resolveDone();
      },
    };
    waiters.set(needMs, waiter);
    cycle.then(
      () => {
        leave();
        resolveDone();
      },
      (error: unknown) => {
        leave();
        rejectDone(error);
      },
    );
    return waiter;
  };

  return (state, needMs, signal) => {
    if (!state.cycle) {
      state.cycleNeedMs = needMs;
      state.cycle = runCycle(state, needMs).finally(() => {
        state.cycle = undefined;
        state.cycleNeedMs = undefined;
      });
    }
    // The caller may stop waiting; the cycle itself goes on for everyone else.
    return untilAborted(waiterFor(state, needMs, state.cycle).done, signal);
  };
};
