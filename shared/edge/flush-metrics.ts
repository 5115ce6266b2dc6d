import type { MiddlewareObj } from '@middy/core';

/** Anything holding metrics until the end of an invocation (the Powertools adapter). */
export interface MetricsFlushTarget {
  flush(): void;
}

/**
 * Publishes the invocation's buffered metrics (EMF) once, whether the handler returned or threw,
 * like Powertools' `logMetrics` but over the broker's own buffering adapter. A failing flush is
 * swallowed: losing one batch of metrics must never turn a served token into an error.
 */
export const flushMetrics = (target: MetricsFlushTarget): MiddlewareObj => {
  const flush = (): void => {
    try {
      target.flush();
    } catch {
      // Nothing safe to do: logging here could recurse into the same broken output.
    }
  };
  return { name: 'flushMetrics', after: flush, onError: flush };
};
