import type { PrewarmReport } from '../../shared/core/broker.ts';
import type { Logger } from '../../shared/core/telemetry.ts';

export interface PrewarmTimer {
  /** Stops the timer and waits for a run in progress, so nothing outlives `stop()`. */
  stop(): Promise<void>;
}

/**
 * Local mode's stand-in for the EventBridge pre-warm schedule. The serving path leaves a stale
 * token's renewal to the pre-warm (no work after the answer, as Lambda requires), so a long-running
 * local broker needs its own schedule or its variants would only ever renew when a caller finds
 * them expired. Runs never overlap; a run that fails is logged and the next one goes on.
 */
export const startPrewarmTimer = (deps: {
  readonly prewarm: () => Promise<PrewarmReport>;
  readonly intervalMs: number;
  readonly logger: Logger;
}): PrewarmTimer => {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = deps
      .prewarm()
      .then((report) => {
        if (report.refreshed > 0 || report.failed > 0) {
          deps.logger.info('local prewarm run', {
            refreshed: report.refreshed,
            skipped: report.skipped,
            failed: report.failed,
          });
        }
      })
      .catch((error: unknown) =>
        deps.logger.warn('local prewarm run failed', {
          error: error instanceof Error ? error.name : 'unknown',
        }),
      )
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, deps.intervalMs);
  // Never the reason the process stays alive.
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
};
