/**
 * Canvas's request throttle: one leaky bucket per client (token), high-water mark 600, leaking
 * 10 units/s on the simulator clock. Each request reserves 50 units up front while in flight,
 * so bursts of concurrent requests trip it even when each is cheap; when it ends the reservation
 * is swapped for the request's real cost.
 */
export interface BucketReservation {
  /** Charges the final cost, returns the figures for `X-Request-Cost` / `X-Rate-Limit-Remaining`. Once only. */
  settle(cost: number): { readonly cost: number; readonly remaining: number };
  /** Gives the up-front units back without charging (the request never got an answer). No-op once settled. */
  release(): void;
}

export interface LeakyBuckets {
  /** Undefined when the client is throttled. */
  reserve(key: string): BucketReservation | undefined;
  clear(): void;
}

export interface LeakyBucketOptions {
  readonly now: () => number;
  readonly highWater?: number;
  readonly outflowPerSecond?: number;
  readonly upFrontCost?: number;
}

interface Bucket {
  level: number;
  at: number;
}

export const makeLeakyBuckets = (options: LeakyBucketOptions): LeakyBuckets => {
  const highWater = options.highWater ?? 600;
  const outflow = options.outflowPerSecond ?? 10;
  const upFront = options.upFrontCost ?? 50;
  const buckets = new Map<string, Bucket>();

  const leak = (bucket: Bucket): void => {
    const at = options.now();
    // A clock skewed backwards leaks nothing rather than filling the bucket.
    const elapsed = Math.max(0, at - bucket.at) / 1000;
    bucket.level = Math.max(0, bucket.level - elapsed * outflow);
    bucket.at = at;
  };

  return {
    reserve: (key) => {
      let bucket = buckets.get(key);
      if (!bucket) {
        bucket = { level: 0, at: options.now() };
        buckets.set(key, bucket);
      }
      leak(bucket);
      bucket.level += upFront;
      if (bucket.level >= highWater) {
        bucket.level = Math.max(0, bucket.level - upFront);
        return undefined;
      }
      const held = bucket;
      let done = false;
      return {
        settle: (cost) => {
          if (!done) {
            done = true;
            leak(held);
            held.level = Math.max(0, held.level + cost - upFront);
          }
          return { cost, remaining: Math.max(0, highWater - held.level) };
        },
        release: () => {
          if (done) return;
          done = true;
          leak(held);
          held.level = Math.max(0, held.level - upFront);
        },
      };
    },
    clear: () => buckets.clear(),
  };
};

/** Ruby's Float#to_s, which is how Canvas prints these headers ("600.0", "599.95"). */
export const rubyFloat = (value: number): string => {
  const rounded = Number(value.toFixed(4));
  return Number.isInteger(rounded) ? `${rounded}.0` : String(rounded);
};
