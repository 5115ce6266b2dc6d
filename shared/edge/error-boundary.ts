import type { MiddlewareObj } from '@middy/core';
import type { Logger } from '../core/telemetry.ts';
import { toPublicError } from './error-table.ts';
import { isExpectedFailure } from './log-failure.ts';

/**
 * Last line of defence, used last so its `onError` runs first: if anything in the middleware chain
 * throws (the handlers themselves never do), the invocation still ends with a well-formed answer
 * built by `respond` (a generic 500 body for the API, a typed error for direct invoke), and the
 * error is logged without the event: at ERROR (with its stack) unless it is an expected failure
 * (a 4xx, a 503 with Retry-After), which is a WARN without one.
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
    const fields = { requestId, error: request.error };
    if (isExpectedFailure(toPublicError(request.error))) logger.warn('error in middleware chain', fields);
    else logger.error('unhandled error in middleware chain', fields);
    request.response = respond(request.error, requestId);
  },
});
