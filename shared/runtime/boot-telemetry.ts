import {
  makePowertoolsTelemetry,
  type PowertoolsTelemetry,
} from '../adapters/powertools/make-powertools-telemetry.ts';
import type { TelemetryEnvironment } from './environment-readers.ts';

/** Every function's Powertools logger and metrics, from the names its environment gave. */
export const bootTelemetry = (environment: TelemetryEnvironment): PowertoolsTelemetry =>
  makePowertoolsTelemetry({
    serviceName: environment.serviceName,
    namespace: environment.metricsNamespace,
    logLevel: environment.logLevel,
  });
