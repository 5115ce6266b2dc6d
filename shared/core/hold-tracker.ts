import type { Clock } from './clock.ts';

export interface Hold {
  readonly id: string;
  /** When the hold started, on the writer's clock. */
  readonly at: number;
  /** How long it holds. */
  readonly ms: number;
}

/**
 * Decides when a lease or failure hold written by another instance has passed, safely when clocks
 * disagree. The writer's timestamp is trusted only beyond twice the skew tolerance (the writer and
 * this instance may each be off by the tolerance, in opposite directions); before that, the hold's
 * duration is measured on this instance's own clock from the moment it first saw the hold's id.
 * Either way no hold ends early, and a crashed holder's lease is taken over at most `ms` after this
 * instance first sees it.
 */
export interface HoldTracker {
  passed(hold: Hold): boolean;
  /** Milliseconds until `passed` turns true (0 when it already is). */
  remainingMs(hold: Hold): number;
}

const MAX_TRACKED = 10_000;

export const makeHoldTracker = (clock: Clock, skewToleranceMs: number): HoldTracker => {
  const firstSeen = new Map<string, number>();

  const remainingMs = (hold: Hold): number => {
    const now = clock.now();
    let seen = firstSeen.get(hold.id);
    if (seen === undefined) {
      // Bounded memory: holds are short-lived, so forgetting the oldest only makes a hold last longer.
      if (firstSeen.size >= MAX_TRACKED) firstSeen.delete(firstSeen.keys().next().value as string);
      seen = now;
      firstSeen.set(hold.id, seen);
    }
    const byOwnClock = seen + hold.ms - now;
    const byWriterClock = hold.at + hold.ms + 2 * skewToleranceMs - now;
    return Math.max(0, Math.min(byOwnClock, byWriterClock));
  };

  return { remainingMs, passed: (hold) => remainingMs(hold) === 0 };
};
