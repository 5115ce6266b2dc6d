/** At most `limit` calls per client in any `windowMs`, on the simulator clock (DAP's 5 per minute). */
export interface SlidingWindowLimit {
  take(key: string): { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };
  clear(): void;
}

export const makeSlidingWindowLimit = (options: {
  readonly now: () => number;
  readonly limit: number;
  readonly windowMs: number;
}): SlidingWindowLimit => {
  const calls = new Map<string, number[]>();
  return {
    take: (key) => {
      const at = options.now();
      const recent = (calls.get(key) ?? []).filter((t) => t > at - options.windowMs && t <= at);
      if (recent.length >= options.limit) {
        calls.set(key, recent);
        const oldest = recent[0] ?? at;
        return {
          ok: false,
          retryAfterSeconds: Math.max(1, Math.ceil((oldest + options.windowMs - at) / 1000)),
        };
      }
      recent.push(at);
      calls.set(key, recent);
      return { ok: true };
    },
    clear: () => calls.clear(),
  };
};
