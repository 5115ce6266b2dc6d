import type { CredentialHold, FailureRecord } from './token-store.ts';
import type { TrueTime } from './true-time.ts';

export interface Hold {
  readonly id: string;
  /**
   * When the hold started, in the writer's true time: a lease is stamped with the writer's
   * `latest()` (so it never ends early for anyone), a failure with its estimate `now()`.
   */
  readonly at: number;
  /** How long it holds, as written (capped when read). */
  readonly ms: number;
  /** A refresh lease (the default) or a failure hold (backoff). */
  readonly kind?: 'lease' | 'failure';
}

export interface HoldCaps {
  /** The longest lease any instance writes: a longer stored one is a bug or an attack. */
  readonly leaseMs: number;
  /** The longest failure hold any instance writes (backoff cap, Retry-After cap). */
  readonly failureMs: number;
  /** The widest uncertainty any bounded instance has (`clockSkewToleranceMs`). */
  readonly uncertaintyMs: number;
}

/**
 * Decides when a lease or failure hold written by any instance (this one included) has passed, on
 * measured time (`TrueTime`), with two rules of which the earlier wins:
 *
 * - By the writer's stamp: a lease has passed once true time is surely beyond `at + ms` (this
 *   instance's earliest possible now), because a lease is a safety rule (one refresh at a time)
 *   and must never end early. A failure hold is a backoff: it has passed once this instance's
 *   estimate is beyond `at + ms`, so with equally measured clocks it lasts exactly `ms`, and at
 *   worst ends the two instances' uncertainties early.
 * - Retry-After: the failure hold has passed on every bounded instance once true time is beyond
 *   `at + ms + tolerance` (another instance's estimate is off by at most the tolerance); true time
 *   is now at least `now − uncertainty`, so that is the wait.
 * - By this instance's own clock: `ms` after it first saw the hold's id (its own writes are
 *   registered when written). Elapsed local time needs no offset, so this never ends a hold early,
 *   and it bounds a hold whose stamp is garbage (a far-future `at`).
 *
 * Stored durations are capped at what an honest writer would write.
 */
export interface HoldTracker {
  passed(hold: Hold): boolean;
  /** Milliseconds until `passed` turns true on this instance (0 when it already is). */
  remainingMs(hold: Hold): number;
  /**
   * For a failure hold: the wait after which it has passed on EVERY instance with a bounded clock,
   * the Retry-After a caller is given (waiting it once never meets the same hold again).
   */
  retryAfterMs(hold: Hold): number;
  /** Records a hold this instance has just written, so its own-clock rule starts at the write. */
  register(hold: Hold): void;
}

const MAX_TRACKED = 10_000;

export const makeHoldTracker = (time: TrueTime, caps: HoldCaps): HoldTracker => {
  const firstSeen = new Map<string, number>();

  const seenAt = (hold: Hold): number => {
    let seen = firstSeen.get(hold.id);
    if (seen === undefined) {
      // Bounded memory: holds are short-lived, so forgetting the oldest only makes a hold last longer.
      if (firstSeen.size >= MAX_TRACKED) firstSeen.delete(firstSeen.keys().next().value as string);
      seen = time.local.now();
      firstSeen.set(hold.id, seen);
    }
    return seen;
  };

  const cappedMs = (hold: Hold): number =>
    Math.max(0, Math.min(hold.ms, hold.kind === 'failure' ? caps.failureMs : caps.leaseMs));

  const remainingMs = (hold: Hold): number => {
    const ms = cappedMs(hold);
    const byOwnClock = seenAt(hold) + ms - time.local.now();
    const now = hold.kind === 'failure' ? time.now() : time.earliest();
    // Unbounded: NaN/Infinity here; only the own-clock rule then applies.
    const byWriter = hold.at + ms - now;
    const byWriterClock = Number.isFinite(byWriter) ? byWriter : Number.POSITIVE_INFINITY;
    return Math.max(0, Math.min(byOwnClock, byWriterClock));
  };

  const retryAfterMs = (hold: Hold): number => {
    const ms = cappedMs(hold);
    const local = Math.max(0, remainingMs(hold));
    const everywhere = hold.at + ms + caps.uncertaintyMs - time.earliest();
    if (!Number.isFinite(everywhere)) return Math.max(local, ms);
    // A garbage stamp is bounded by every instance's own-clock rule instead.
    return Math.min(Math.max(local, everywhere, 0), Math.max(local, caps.failureMs));
  };

  return {
    remainingMs,
    retryAfterMs,
    passed: (hold) => remainingMs(hold) === 0,
    register: (hold) => {
      if (!firstSeen.has(hold.id)) firstSeen.set(hold.id, time.local.now());
    },
  };
};

/** A variant's failure record as a hold: a backoff, timed from its writer's estimate. */
export const failureHoldOf = (failure: FailureRecord): Hold => ({
  id: failure.id,
  at: failure.at,
  ms: failure.holdMs,
  kind: 'failure',
});

/** A credential's throttle hold is a failure hold (a backoff), timed as one. */
export const credentialHoldOf = (hold: CredentialHold): Hold => ({ ...hold, kind: 'failure' });
