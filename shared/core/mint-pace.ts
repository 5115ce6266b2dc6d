/**
 * How long a renewal takes here (lease taken → token written), learned from this instance's own
 * renewals, and the poll schedule of a caller waiting on another instance's lease derived from it
 * (issue 10: waiters used to poll 50 → 400 ms while a mint takes about 20 ms).
 *
 * The first poll lands just after the lease holder should be done (lease start + expected time,
 * with a margin); later polls back off from half the expected time, doubling up to `maxMs`. With
 * the holder on time that is two table reads per waiting instance per mint: the one that found the
 * lease and the one that finds the token.
 */
export interface MintPace {
  /** A renewal of this instance took `ms` (local clock, lease taken to token written). */
  observe(ms: number): void;
  /** The expected duration of a renewal, ms. */
  expectedMs(): number;
  /**
   * The wait before poll `attempt` (0 = the first after finding the lease) of a lease that has been
   * held for `leaseAgeMs`; `jitter` in [0, 1) spreads instances that found the lease together.
   */
  waitMs(attempt: number, leaseAgeMs: number, jitter: number): number;
}

export interface MintPaceOptions {
  /** The expected duration before any renewal was observed (the old first poll). */
  readonly initialMs: number;
  /** The longest wait between two polls. */
  readonly maxMs: number;
  /** The longest renewal worth expecting (the lease: a holder slower than that loses it anyway). */
  readonly maxExpectedMs: number;
}

/** Weight of the newest observation: a few renewals move the estimate, one outlier does not own it. */
const ALPHA = 0.3;
/** The first poll comes this much after the expected end, so an on-time holder is done by then. */
const MARGIN = 1.25;
/** No poll sooner than this: a table read itself takes a few ms. */
const MIN_WAIT_MS = 5;

export const makeMintPace = ({ initialMs, maxMs, maxExpectedMs }: MintPaceOptions): MintPace => {
  let expected = initialMs;
  let observed = false;
  const clamp = (ms: number) => Math.min(Math.max(ms, MIN_WAIT_MS), maxMs);
  return {
    observe: (ms) => {
      if (!Number.isFinite(ms) || ms < 0) return;
      // The first observation replaces the guess outright; later ones are smoothed.
      const next = observed ? expected + ALPHA * (ms - expected) : ms;
      observed = true;
      expected = Math.min(Math.max(next, MIN_WAIT_MS), maxExpectedMs);
    },
    expectedMs: () => expected,
    waitMs: (attempt, leaseAgeMs, jitter) => {
      const spread = 0.9 + 0.2 * jitter;
      // The first wait may exceed maxMs: it targets a known end, not an open-ended poll.
      if (attempt === 0)
        return Math.min(
          Math.max((expected * MARGIN - Math.max(0, leaseAgeMs)) * spread, MIN_WAIT_MS),
          maxExpectedMs,
        );
      return clamp((expected / 2) * 2 ** (attempt - 1) * spread);
    },
  };
};
