import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { makeSecretsManagerClient } from '../shared/adapters/aws/secrets-manager-client.ts';
import { makeSecretsManagerRotationStore } from '../shared/adapters/aws/secrets-manager-rotation-store.ts';
import { makePowertoolsLogger } from '../shared/adapters/powertools/powertools-logger.ts';
import { systemClock } from '../shared/adapters/system-clock.ts';
import { USER_AGENT } from '../shared/config/user-agent.ts';
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
const powertoolsLogger = new PowertoolsLogger({ serviceName: env.serviceName, logLevel: env.logLevel });
const logger = makePowertoolsLogger(powertoolsLogger);

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
  clock: systemClock,
  logger,
});

export const handler = middy(makeRotationHandler(rotation, logger)).use(
  injectLoggerContext(powertoolsLogger),
);
