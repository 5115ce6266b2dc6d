/**
 * One response's evidence about this instance's clock: the local clock around the exchange and the
 * server's `Date` header (RFC 9110: the second in which the server produced the response).
 */
export interface DateSample {
  /** Local clock when the request left. */
  readonly sentAt: number;
  /** Local clock when the response (its headers) arrived. */
  readonly receivedAt: number;
  /** The response's `Date`, epoch ms (a whole second). */
  readonly serverDate: number;
}

/** `true time − local clock` lies in [lo, hi] (ms). */
export interface OffsetBound {
  readonly lo: number;
  readonly hi: number;
}

/** Feeds on response dates; answers how far this instance's clock is from the servers' clocks. */
export interface ClockOffsetEstimator {
  observe(sample: DateSample): void;
  /** The tightest bound the recent samples prove at local time `localNow`, or undefined without one. */
  bound(localNow: number): OffsetBound | undefined;
}

export interface ClockOffsetOptions {
  /** Samples kept (newest first). */
  readonly maxSamples?: number;
  /** Samples older than this (local ms) are forgotten. */
  readonly maxAgeMs?: number;
  /**
   * How fast this clock may drift from true time, in parts per million. Each sample's bound widens
   * by this rate as it ages, so an old sample never claims more precision than it can still prove.
   * 500 ppm is ten times a typical uncorrected crystal; an NTP-disciplined clock stays far inside.
   */
  readonly driftPpm?: number;
  /** A round trip longer than this proves too little to keep (ms). */
  readonly maxRoundTripMs?: number;
}

const DATE_RESOLUTION_MS = 1_000;
/**
 * How long one computed bound is reused. Every sample widens at the same drift rate, so the bound at
 * `at + δ` is the bound at `at` widened by `δ × drift` on both sides: exact, or wider where the full
 * pass would have kept one more sample. It spares the hot path (several `now()` reads per request)
 * a pass over every sample.
 */
const BOUND_REUSE_MS = 1_000;

/**
 * The offset estimator, as NTP's interval intersection over HTTP `Date`s. A server stamps `Date`
 * somewhere between the request leaving and the response arriving, and truncates it to the second,
 * so one sample proves `offset ∈ [Date − receivedAt, Date + 1000 − sentAt]`. Every sample that is
 * still consistent holds at once, so the bound is their intersection: several samples taken at
 * different sub-second phases narrow it well below the 1 s resolution.
 *
 * Intersection runs newest first and stops at the first sample that contradicts the newer ones: a
 * contradiction means this clock was stepped (NTP, a VM resume) or a server's clock was wrong, and
 * in both cases the newest evidence describes the present. Pure: no clock of its own, no I/O.
 */
export const makeClockOffsetEstimator = (options: ClockOffsetOptions = {}): ClockOffsetEstimator => {
  const maxSamples = options.maxSamples ?? 32;
  const maxAgeMs = options.maxAgeMs ?? 3_600_000;
  const drift = (options.driftPpm ?? 500) / 1e6;
  const maxRoundTripMs = options.maxRoundTripMs ?? 10_000;
  /** Newest first. */
  const samples: { lo: number; hi: number; at: number }[] = [];
  /** The last full pass, valid until a new sample arrives. */
  let last: { at: number; bound: OffsetBound | undefined } | undefined;

  return {
    observe: ({ sentAt, receivedAt, serverDate }) => {
      if (![sentAt, receivedAt, serverDate].every(Number.isFinite)) return;
      if (receivedAt < sentAt || receivedAt - sentAt > maxRoundTripMs) return;
      last = undefined;
      samples.unshift({
        lo: serverDate - receivedAt,
        hi: serverDate + DATE_RESOLUTION_MS - sentAt,
        at: receivedAt,
      });
      if (samples.length > maxSamples) samples.length = maxSamples;
    },
    bound: (localNow) => {
      if (last && localNow >= last.at && localNow - last.at <= BOUND_REUSE_MS) {
        if (!last.bound) return undefined;
        const widen = (localNow - last.at) * drift;
        return { lo: last.bound.lo - widen, hi: last.bound.hi + widen };
      }
      let lo = Number.NEGATIVE_INFINITY;
      let hi = Number.POSITIVE_INFINITY;
      let used = 0;
      for (const sample of samples) {
        // A local clock that went backwards makes every older sample doubtful in the same way.
        const age = Math.abs(localNow - sample.at);
        if (age > maxAgeMs) break;
        const widen = age * drift;
        const nextLo = Math.max(lo, sample.lo - widen);
        const nextHi = Math.min(hi, sample.hi + widen);
        if (nextLo > nextHi) break;
        lo = nextLo;
        hi = nextHi;
        used++;
      }
      const bound = used === 0 ? undefined : { lo, hi };
      last = { at: localNow, bound };
      return bound;
    },
  };
};
