import { STATUS_CODES } from 'node:http';
import { canvasErrors, WWW_AUTHENTICATE } from './canvas-errors.ts';
import { DAP_ERROR_TYPES, replyDapError } from './dap-errors.ts';
import type { EndpointName } from './endpoint-name.ts';
import type { FaultSpec } from './fault-spec.ts';
import type { HeaderMap, Reply } from './reply.ts';

export type FaultArea = 'canvas' | 'dap';

/** What a proxy in trouble sends: a 200 whose body is not the JSON it claims to be. */
const MALFORMED_BODY = '<html><body><h1>Service temporarily unavailable</h1></body></html>';

const retryAfterHeader = (fault: FaultSpec, fallback?: number): HeaderMap => {
  const seconds = fault.retryAfter ?? fallback;
  return seconds === undefined ? {} : { 'retry-after': String(seconds) };
};

const canvasStatusBody = (endpoint: EndpointName, status: number): unknown => {
  switch (status) {
    case 400:
      return endpoint === 'jwts-refresh'
        ? { errors: { jwt: 'invalid refresh' } }
        : { errors: [{ message: 'Bad Request' }] };
    case 401:
      return { errors: [{ message: 'Invalid access token.' }] };
    case 403:
      return { status: 'unauthorized', errors: [{ message: 'user not authorized to perform that action' }] };
    case 404:
      return { errors: [{ message: 'The specified resource does not exist.' }] };
    case 500:
      return { errors: [{ message: 'An error occurred.', error_code: 'internal_server_error' }] };
    default:
      return { errors: [{ message: STATUS_CODES[status] ?? 'Error' }] };
  }
};

/**
 * Answers an injected fault with the body shape the real endpoint uses for that status: Canvas
 * envelopes on Canvas routes, DAP's `{"error":{type,uuid,message}}` on Identity/DAP routes.
 * A rate-limit fault is Canvas's 403 text on Canvas, and 429 + Retry-After on DAP.
 */
export const replyWithFault = (
  reply: Reply,
  area: FaultArea,
  endpoint: EndpointName,
  fault: FaultSpec,
): void => {
  if (fault.kind === 'malformed') {
    reply.text(200, MALFORMED_BODY, 'application/json; charset=utf-8');
  } else if (fault.kind === 'rate-limit') {
    if (area === 'canvas') canvasErrors.rateLimited(reply);
    else
      replyDapError(
        reply,
        429,
        fault.errorType ?? 'TooManyRequests',
        'Rate limit exceeded.',
        retryAfterHeader(fault, 60),
      );
  } else {
    const status = fault.status ?? 500;
    const retry = retryAfterHeader(fault, status === 429 ? 1 : undefined);
    if (area === 'canvas') {
      const headers = status === 401 ? { ...WWW_AUTHENTICATE, ...retry } : retry;
      reply.json(status, canvasStatusBody(endpoint, status), headers);
    } else {
      const type = fault.errorType ?? DAP_ERROR_TYPES[status] ?? 'Error';
      replyDapError(reply, status, type, STATUS_CODES[status] ?? 'Error', retry);
    }
  }
};
