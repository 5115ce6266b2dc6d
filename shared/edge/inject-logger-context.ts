import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';

/** The slice of a Powertools Logger this middleware needs (kept structural so edge stays vendor-free). */
export interface LoggerContextTarget {
  addContext(context: Context): void;
  appendKeys(keys: Record<string, string>): void;
  resetKeys(): void;
}

const CORRELATION_ID = /^[\x21-\x7E]{1,128}$/;

const correlationIdOf = (event: unknown): string | undefined => {
  if (typeof event !== 'object' || event === null) return undefined;
  const ctx = (event as Record<string, unknown>).requestContext;
  const id = typeof ctx === 'object' && ctx !== null ? (ctx as Record<string, unknown>).requestId : undefined;
  return typeof id === 'string' && CORRELATION_ID.test(id) ? id : undefined;
};

/**
 * Adds the Lambda context (request id, cold start, function name) and the API Gateway request id
 * to every log line of the invocation, and clears them afterwards.
 *
 * Written instead of Powertools' `injectLambdaContext` because that one also logs the whole event
 * when `POWERTOOLS_LOGGER_LOG_EVENT=true`; an event carries request bodies and headers, and no
 * deploy-time switch may turn that on.
 */
export const injectLoggerContext = (target: LoggerContextTarget): MiddlewareObj => {
  // A block body on purpose: middy treats any value a middleware returns as an early response.
  const reset = (): void => {
    target.resetKeys();
  };
  return {
    name: 'injectLoggerContext',
    before: (request) => {
      target.addContext(request.context);
      const correlationId = correlationIdOf(request.event);
      if (correlationId !== undefined) target.appendKeys({ correlation_id: correlationId });
    },
    after: reset,
    onError: reset,
  };
};
