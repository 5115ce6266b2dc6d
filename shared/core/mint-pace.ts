/**
 * How long a renewal of one credential takes (lease taken → token written), learned from the
 * renewals this instance ran or waited on, and the poll schedule of a caller waiting on another
 * instance's lease derived from it (issue 10: waiters used to poll 50 → 400 ms while a mint takes
 * about 20 ms). One pace per credential (MintPaces): the Identity Service and a Canvas can answer
 * at very different speeds, and a waiter for one polling at the other's pace either reads the
 * table over and over or answers late.
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
  /** The expectation before this pace has observed anything (default: `initialMs`). */
  readonly unobservedMs?: () => number;
}

/** Every credential's pace on this instance. */
export interface MintPaces {
  of(credentialId: string): MintPace;
}

/**
 * The estimate is the median of this many latest renewals: one outlier (the first renewal of a
 * cold instance, one slow upstream answer) does not own it, and a few renewals at a new pace do.
 * A smoothed mean did neither well: in P1 the first, JIT-cold renewal (70 ms) kept the estimate
 * above twice the real pace (about 22 ms) for many renewals, and every waiter polled that late.
 */
const WINDOW = 5;
/**
 * The first poll comes this much after the expected end, so an on-time holder has written its
 * token by then (the expectation ends when the token is sealed; its write is one more round trip).
 */
const MARGIN = 1.15;
/** No poll sooner than this: a table read itself takes a few ms. */
const MIN_WAIT_MS = 5;

export const makeMintPace = ({
  initialMs,
  maxMs,
  maxExpectedMs,
  unobservedMs,
}: MintPaceOptions): MintPace => {
  let observed: number | undefined;
  const recent: number[] = [];
  const expectedMs = () => observed ?? unobservedMs?.() ?? initialMs;
  const clamp = (ms: number) => Math.min(Math.max(ms, MIN_WAIT_MS), maxMs);
  return {
    observe: (ms) => {
      if (!Number.isFinite(ms) || ms < 0) return;
      // The first observation replaces the guess outright.
      recent.push(ms);
      if (recent.length > WINDOW) recent.shift();
      const sorted = [...recent].sort((a, b) => a - b);
      // The lower median of an even count: of two candidates, the one that polls sooner.
      const median = sorted[(sorted.length - 1) >> 1] as number;
      observed = Math.min(Math.max(median, MIN_WAIT_MS), maxExpectedMs);
    },
    expectedMs,
    waitMs: (attempt, leaseAgeMs, jitter) => {
      const expected = expectedMs();
      // Instances that found the lease together need not poll in step, but a wide spread is
      // latency for the last of them: a table serves a handful of reads of one item at once.
      const spread = 0.95 + 0.1 * jitter;
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

/**
 * A pace per credential. Each learns from that credential's renewals alone; every renewal also
 * teaches the instance-wide pace, which stands in for a credential this instance has not yet seen
 * renew, though never below `initialMs` (an unknown upstream is given at least the configured
 * first poll: one late first answer costs less than a table read every few ms). Bounded by the
 * configured credentials.
 */
export const makeMintPaces = (options: MintPaceOptions): MintPaces => {
  const instance = makeMintPace(options);
  const unobservedMs = () => Math.max(instance.expectedMs(), options.initialMs);
  const paces = new Map<string, MintPace>();
  return {
    of: (credentialId) => {
      let pace = paces.get(credentialId);
      if (pace === undefined) {
        const own = makeMintPace({ ...options, unobservedMs });
        pace = {
          ...own,
          observe: (ms) => {
            own.observe(ms);
            instance.observe(ms);
          },
        };
        paces.set(credentialId, pace);
      }
      return pace;
    },
  };
};
