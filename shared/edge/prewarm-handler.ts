import type { Broker, PrewarmReport } from '../core/broker.ts';
import { isBrokerError } from '../core/errors.ts';
import type { Logger, Metrics } from '../core/telemetry.ts';

export interface PrewarmHandlerDeps {
  readonly broker: Broker;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export interface PrewarmResult extends PrewarmReport {
  readonly ok: boolean;
}

export type PrewarmHandler = (event?: unknown) => Promise<PrewarmResult>;

/**
 * The scheduled pre-warm (EventBridge `Scheduled Event`; its content is not used). One credential's
 * failure is already contained by `broker.prewarm()`; if the run as a whole fails (the table is
 * down), it is reported as a failure and the invocation still succeeds: an async retry of a
 * schedule only duplicates the next run, while the `PrewarmFailed` metric is what alarms watch.
 */
export const makePrewarmHandler = (deps: PrewarmHandlerDeps): PrewarmHandler => {
  const { broker, logger, metrics } = deps;
  return async () => {
    let result: PrewarmResult;
    try {
      const report = await broker.prewarm();
      result = {
        ok: report.failed === 0,
        refreshed: report.refreshed,
        skipped: report.skipped,
        failed: report.failed,
        failures: report.failures.map((f) => ({
          credentialId: f.credentialId,
          variantId: f.variantId,
          code: f.code,
        })),
      };
    } catch (error) {
      const code = isBrokerError(error) ? error.code : 'INTERNAL';
      logger.error('prewarm run failed', { code, error });
      // The core counts a completed run's outcomes itself; a run that never completed is counted here.
      metrics.add('PrewarmFailed', 1, 'Count');
      result = { ok: false, refreshed: 0, skipped: 0, failed: 1, failures: [] };
    }
    const summary = { refreshed: result.refreshed, skipped: result.skipped, failed: result.failed };
    if (result.ok) logger.info('prewarm done', summary);
    else logger.warn('prewarm done with failures', { ...summary, failures: result.failures });
    return result;
  };
};
