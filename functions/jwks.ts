import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { errorBoundary } from '../shared/edge/error-boundary.ts';
import { toPublicError } from '../shared/edge/error-table.ts';
import { errorResponse } from '../shared/edge/http-response.ts';
import { injectLoggerContext } from '../shared/edge/inject-logger-context.ts';
import { makeJwksHandler } from '../shared/edge/jwks-handler.ts';
import { bootJwks } from '../shared/runtime/boot-jwks.ts';

/**
 * API Gateway REST, `GET /.well-known/jwks.json` (no auth) → the LTI signing keys' public halves.
 * Reads key ARNs and a max-age only: no table, no config, no secret; KMS GetPublicKey only.
 */
const { publisher, telemetry } = bootJwks(process.env);
const handleRequest = makeJwksHandler({ publisher, logger: telemetry.logger });

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(injectLoggerContext(telemetry.powertoolsLogger))
  .use(errorBoundary(telemetry.logger, (error, requestId) => errorResponse(toPublicError(error), requestId)))
  .handler((event, context, { signal }) => handleRequest(event, context, { signal }));
