import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorBoundary } from '../shared/edge/error-boundary.ts';
import { toPublicError } from '../shared/edge/error-table.ts';
import { flushMetrics } from '../shared/edge/flush-metrics.ts';
import { errorResponse } from '../shared/edge/http-response.ts';
import { injectLoggerContext } from '../shared/edge/inject-logger-context.ts';
import { makeTokenApiHandler } from '../shared/edge/token-api-handler.ts';
import { bootLambda } from '../shared/runtime/boot-lambda.ts';
import { loadApiBinding } from '../shared/runtime/load-lambda-environment.ts';

/** API Gateway REST (AWS_IAM) → the token API. Composed once per cold start; bad env fails init. */
const api = loadApiBinding(process.env);
const { broker, telemetry } = bootLambda(process.env);
const handleRequest = makeTokenApiHandler({
  broker,
  logger: telemetry.logger,
  metrics: telemetry.metrics,
  api,
});

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(injectLoggerContext(telemetry.powertoolsLogger))
  .use(flushMetrics(telemetry.metrics))
  // The handler never throws; this answers for the middleware chain itself (a generic 500).
  .use(errorBoundary(telemetry.logger, (error, requestId) => errorResponse(toPublicError(error), requestId)))
  .handler((event, context, { signal }) => handleRequest(event, context, { signal }));
