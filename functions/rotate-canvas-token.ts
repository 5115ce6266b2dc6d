import middy from '@middy/core';
import { makeSecretsManagerClient } from '../shared/adapters/aws/secrets-manager-client.ts';
import { makeSecretsManagerRotationStore } from '../shared/adapters/aws/secrets-manager-rotation-store.ts';
import { makePowertoolsTelemetry } from '../shared/adapters/powertools/make-powertools-telemetry.ts';
import { systemClock } from '../shared/adapters/system-clock.ts';
import { USER_AGENT } from '../shared/config/user-agent.ts';
import { flushMetrics } from '../shared/edge/flush-metrics.ts';
import { injectLoggerContext } from '../shared/edge/inject-logger-context.ts';
import { makeHttpRotationCanvas } from '../shared/rotation/http-rotation-canvas.ts';
import { loadRotationEnvironment } from '../shared/rotation/load-rotation-environment.ts';
import { makeRotateCanvasToken } from '../shared/rotation/make-rotate-canvas-token.ts';
import { makeRotationHandler } from '../shared/rotation/rotation-handler.ts';

// Secrets Manager invokes this function once per rotation step (createSecret, setSecret,
// testSecret, finishSecret) with `{ SecretId, ClientRequestToken, Step }`.

const SECRETS_TIMEOUT_MS = 3_000;
// Token calls are rare and not on any caller's path: a slow Canvas may take its time.
const CANVAS_TIMEOUT_MS = 10_000;

// Cold start: a bad environment fails the init, not a rotation halfway through.
const env = loadRotationEnvironment(process.env);
const telemetry = makePowertoolsTelemetry({
  serviceName: env.serviceName,
  namespace: env.metricsNamespace,
  logLevel: env.logLevel,
});
const { logger, powertoolsLogger } = telemetry;

const rotation = makeRotateCanvasToken({
  secrets: makeSecretsManagerRotationStore({
    client: makeSecretsManagerClient({ region: env.region, timeoutMs: SECRETS_TIMEOUT_MS }),
  }),
  canvas: makeHttpRotationCanvas({
    baseUrl: env.canvasBaseUrl,
    clock: systemClock,
    timeoutMs: CANVAS_TIMEOUT_MS,
    userAgent: USER_AGENT,
  }),
  canvasBaseUrl: env.canvasBaseUrl,
  tokenExpiryDays: env.tokenExpiryDays,
  ...(env.rotateEveryDays === undefined ? {} : { rotateEveryDays: env.rotateEveryDays }),
  clock: systemClock,
  logger,
  // CanvasTokenRemainingLife and CanvasTokenLeftBehind: alarmed in packages/cdk/src/broker-monitoring.ts.
  metrics: telemetry.metrics,
});

export const handler = middy(makeRotationHandler(rotation, logger))
  .use(injectLoggerContext(powertoolsLogger))
  .use(flushMetrics(telemetry.metrics));
