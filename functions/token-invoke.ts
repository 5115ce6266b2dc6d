import middy from '@middy/core';
import { errorBoundary } from '../shared/edge/error-boundary.ts';
import { toPublicError } from '../shared/edge/error-table.ts';
import { flushMetrics } from '../shared/edge/flush-metrics.ts';
import { injectLoggerContext } from '../shared/edge/inject-logger-context.ts';
import { makeTokenInvokeHandler, type TokenInvokeResult } from '../shared/edge/token-invoke-handler.ts';
import { bootLambda } from '../shared/runtime/boot-lambda.ts';

/**
 * Direct invoke `{ credentialId, minTtlSeconds?, params? }` → the API's token body or a typed
 * `{ error }`. Authorized by who may invoke this function (the policy's `lambda-invoke`).
 */
const { broker, telemetry } = bootLambda(process.env);
const handleInvoke = makeTokenInvokeHandler({ broker, logger: telemetry.logger });

export const handler = middy<unknown, TokenInvokeResult>()
  .use(injectLoggerContext(telemetry.powertoolsLogger))
  .use(flushMetrics(telemetry.metrics))
  .use(
    errorBoundary(telemetry.logger, (error, requestId): TokenInvokeResult => {
      const { code, message } = toPublicError(error);
      return { error: { code, message, requestId } };
    }),
  )
  .handler((event, context, { signal }) => handleInvoke(event, context, { signal }));
