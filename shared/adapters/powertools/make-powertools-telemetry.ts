import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Logger } from '../../core/telemetry.ts';
import { makePowertoolsLogger } from './powertools-logger.ts';
import { type BufferedMetrics, makePowertoolsMetrics } from './powertools-metrics.ts';

export type TelemetryLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface PowertoolsTelemetryOptions {
  readonly serviceName: string;
  readonly namespace: string;
  readonly logLevel?: TelemetryLogLevel;
  /** Injected in tests to capture output; built from the options otherwise. */
  readonly powertoolsLogger?: PowertoolsLogger;
  readonly powertoolsMetrics?: PowertoolsMetrics;
}

export interface PowertoolsTelemetry {
  /** Core ports. */
  readonly logger: Logger;
  readonly metrics: BufferedMetrics;
  /** For the `injectLoggerContext` middleware (Lambda context and correlation id on every line). */
  readonly powertoolsLogger: PowertoolsLogger;
}

/**
 * Logs and metrics for a Lambda function: the core's Logger and Metrics ports on Powertools
 * (structured JSON logs, CloudWatch EMF metrics). Built once at cold start from the already-read
 * environment; no option that logs events is ever set.
 */
export const makePowertoolsTelemetry = (options: PowertoolsTelemetryOptions): PowertoolsTelemetry => {
  const powertoolsLogger =
    options.powertoolsLogger ??
    new PowertoolsLogger({ serviceName: options.serviceName, logLevel: options.logLevel ?? 'INFO' });
  const powertoolsMetrics =
    options.powertoolsMetrics ??
    // Powertools' own warnings (e.g. an invalid dimension) go through the structured logger.
    new PowertoolsMetrics({
      serviceName: options.serviceName,
      namespace: options.namespace,
      logger: powertoolsLogger,
    });
  return {
    logger: makePowertoolsLogger(powertoolsLogger),
    metrics: makePowertoolsMetrics(powertoolsMetrics),
    powertoolsLogger,
  };
};
