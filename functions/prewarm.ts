import middy from '@middy/core';
import { flushMetrics } from '../shared/edge/flush-metrics.ts';
import { injectLoggerContext } from '../shared/edge/inject-logger-context.ts';
import { makePrewarmHandler } from '../shared/edge/prewarm-handler.ts';
import { bootLambda } from '../shared/runtime/boot-lambda.ts';

/**
 * EventBridge schedule → renew stale, recently used variants before callers need them. Counts go
 * to logs and metrics (PrewarmRefreshed / PrewarmSkipped / PrewarmFailed); one credential's
 * failure never fails the run.
 */
const { broker, telemetry } = bootLambda(process.env);
const handlePrewarm = makePrewarmHandler({ broker, logger: telemetry.logger, metrics: telemetry.metrics });

export const handler = middy()
  .use(injectLoggerContext(telemetry.powertoolsLogger))
  .use(flushMetrics(telemetry.metrics))
  .handler(() => handlePrewarm());
