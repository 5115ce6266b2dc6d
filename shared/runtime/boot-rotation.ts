import { makeSecretsManagerClient } from '../adapters/aws/secrets-manager-client.ts';
import { makeSecretsManagerRotationStore } from '../adapters/aws/secrets-manager-rotation-store.ts';
import { makeHttpRotationCanvas } from '../adapters/http/http-rotation-canvas.ts';
import type { PowertoolsTelemetry } from '../adapters/powertools/make-powertools-telemetry.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { USER_AGENT } from '../config/user-agent.ts';
import { makeRotateCanvasToken, type RotateCanvasToken } from '../rotation/make-rotate-canvas-token.ts';
import { bootTelemetry } from './boot-telemetry.ts';
import { loadRotationEnvironment, type RotationEnvironment } from './load-rotation-environment.ts';

export interface RotationRuntime {
  readonly environment: RotationEnvironment;
  readonly telemetry: PowertoolsTelemetry;
  readonly rotation: RotateCanvasToken;
}

const SECRETS_TIMEOUT_MS = 3_000;
// Token calls are rare and not on any caller's path: a slow Canvas may take its time (within the
// step's own abort signal, which ends with the Lambda's remaining time).
const CANVAS_TIMEOUT_MS = 10_000;

/**
 * Cold start of the rotation function, composed like bootLambda: environment read and validated
 * once (a bad one fails the init, not a rotation halfway through), telemetry, and the rotation on
 * the Secrets Manager and Canvas adapters.
 */
export const bootRotation = (processEnv: NodeJS.ProcessEnv): RotationRuntime => {
  const environment = loadRotationEnvironment(processEnv);
  const telemetry = bootTelemetry(environment);
  const rotation = makeRotateCanvasToken({
    secrets: makeSecretsManagerRotationStore({
      client: makeSecretsManagerClient({ region: environment.region, timeoutMs: SECRETS_TIMEOUT_MS }),
    }),
    canvas: makeHttpRotationCanvas({
      baseUrl: environment.canvasBaseUrl,
      clock: systemClock,
      timeoutMs: CANVAS_TIMEOUT_MS,
      userAgent: USER_AGENT,
    }),
    canvasBaseUrl: environment.canvasBaseUrl,
    tokenExpiryDays: environment.tokenExpiryDays,
    ...(environment.rotateEveryDays === undefined ? {} : { rotateEveryDays: environment.rotateEveryDays }),
    clock: systemClock,
    logger: telemetry.logger,
    // CanvasTokenRemainingLife and CanvasTokenLeftBehind: alarmed in packages/cdk/src/broker-monitoring.ts.
    metrics: telemetry.metrics,
  });
  return { environment, telemetry, rotation };
};
