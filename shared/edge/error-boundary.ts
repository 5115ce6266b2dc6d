import type { MiddlewareObj } from '@middy/core';
import type { Logger } from '../core/telemetry.ts';

/**
 * Last line of defence, used last so its `onError` runs first: if anything in the middleware chain
 * throws (the handlers themselves never do), the invocation still ends with a well-formed answer
 * built by `respond` (a generic 500 body for the API, a typed error for direct invoke), and the
 * error is logged without the event.
 */
export const errorBoundary = <TResult>(
  logger: Logger,
  respond: (error: unknown, requestId: string) => TResult,
): MiddlewareObj<unknown, TResult> => ({
  name: 'errorBoundary',
  onError: (request) => {
    if (request.response !== undefined && request.response !== null) return;
    const requestId =
      typeof request.context?.awsRequestId === 'string' ? request.context.awsRequestId : 'unknown';
    logger.error('unhandled error in middleware chain', { requestId, error: request.error });
    request.response = respond(request.error, requestId);
  },
});
