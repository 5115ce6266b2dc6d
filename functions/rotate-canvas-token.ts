import middy from '@middy/core';
import { flushMetrics } from '../shared/edge/flush-metrics.ts';
import { injectLoggerContext } from '../shared/edge/inject-logger-context.ts';
import { makeRotationHandler } from '../shared/rotation/rotation-handler.ts';
import { bootRotation } from '../shared/runtime/boot-rotation.ts';

// Secrets Manager invokes this function once per rotation step (createSecret, setSecret,
// testSecret, finishSecret) with `{ SecretId, ClientRequestToken, Step }`. Composed once per cold
// start; a bad environment fails the init. middy aborts the step's signal just before the Lambda's
// remaining time runs out, and the handler passes it to every Secrets Manager and Canvas call.
const { rotation, telemetry } = bootRotation(process.env);

export const handler = middy(makeRotationHandler(rotation, telemetry.logger))
  .use(injectLoggerContext(telemetry.powertoolsLogger))
  .use(flushMetrics(telemetry.metrics));
