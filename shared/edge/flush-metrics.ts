import type { MiddlewareObj } from '@middy/core';

/** Anything holding metrics until they are published (the Powertools adapter). */
export interface MetricsFlushTarget {
  flush(): void;
}

export interface FlushMetricsOptions {
  /**
   * Publish at most this often per instance (default 1 s); 0 publishes after every invocation.
   * Each publish is one EMF line per dimension set on stdout, which CloudWatch Logs bills by size:
   * at hundreds of warm hits a second per instance, one document per second instead of one per
   * request cuts both that bill and the hot path's cost (benchmark P2). The price: points buffered
   * since the last publish wait for the next invocation, and are lost if Lambda retires the
   * instance first (at most one interval of counts). Audit log lines are never buffered.
   */
  readonly minIntervalMs?: number;
  readonly now?: () => number;
}

/**
 * Publishes buffered metrics (EMF) after an invocation once `minIntervalMs` has passed since the
 * last publish, and always after a failed one (errors are what the alarms watch). A failing publish
 * is swallowed: losing one batch of metrics must never turn a served token into an error.
 */
export const flushMetrics = (
  target: MetricsFlushTarget,
  options: FlushMetricsOptions = {},
): MiddlewareObj => {
  const minIntervalMs = options.minIntervalMs ?? 1_000;
  const now = options.now ?? Date.now;
  let lastFlush = Number.NEGATIVE_INFINITY;
  const flush = (force: boolean): void => {
    const at = now();
    if (!force && at - lastFlush < minIntervalMs) return;
    lastFlush = at;
    try {
      target.flush();
    } catch {
      // Nothing safe to do: logging here could recurse into the same broken output.
    }
  };
  return { name: 'flushMetrics', after: () => flush(false), onError: () => flush(true) };
};
