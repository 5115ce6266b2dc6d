import type { PowertoolsTelemetry } from '../adapters/powertools/make-powertools-telemetry.ts';
import type { Broker } from '../core/broker.ts';
import { bootTelemetry } from './boot-telemetry.ts';
import { type LambdaEnvironment, loadLambdaEnvironment } from './load-lambda-environment.ts';
import { makeAwsBroker } from './make-aws-broker.ts';

export interface LambdaRuntime {
  readonly environment: LambdaEnvironment;
  readonly telemetry: PowertoolsTelemetry;
  readonly broker: Broker;
}

/**
 * Cold start of a broker function: environment read and validated once (a bad one throws here,
 * failing the init), telemetry, and the broker. Every entry under functions/ starts with this.
 */
export const bootLambda = (processEnv: NodeJS.ProcessEnv): LambdaRuntime => {
  const environment = loadLambdaEnvironment(processEnv);
  const telemetry = bootTelemetry(environment);
  const broker = makeAwsBroker(environment, { logger: telemetry.logger, metrics: telemetry.metrics });
  return { environment, telemetry, broker };
};
