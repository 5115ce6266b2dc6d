import { STATUS_CODES } from 'node:http';
import { canvasErrors, WWW_AUTHENTICATE } from './canvas-errors.ts';
import { DAP_ERROR_TYPES, replyDapError } from './dap-errors.ts';
import type { FaultSpec } from './fault-spec.ts';
import type { HeaderMap, Reply } from './reply.ts';

export type FaultArea = 'canvas' | 'dap';

/** What a proxy in trouble sends: a 200 whose body is not the JSON it claims to be. */
const MALFORMED_BODY = '<html><body><h1>Service temporarily unavailable</h1></body></html>';

/** What an nginx / ELB in front of Canvas answers when Canvas is down: HTML, not the API's JSON. */
const PROXY_502_BODY =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n';

const retryAfterHeader = (fault: FaultSpec, now: () => number, fallback?: number): HeaderMap => {
  const seconds = fault.retryAfter ?? fallback;
  if (seconds === undefined) return {};
  // An HTTP date is anchored on the simulator clock, like the Date header next to it.
  return {
    'retry-after':
      fault.retryAfterFormat === 'http-date'
        ? new Date(now() + seconds * 1000).toUTCString()
        : String(seconds),
  };
};

const canvasStatusBody = (endpoint: string, status: number): unknown => {
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
  endpoint: string,
  fault: FaultSpec,
  now: () => number,
): void => {
  if (fault.kind === 'proxy-502') {
    reply.text(502, PROXY_502_BODY, 'text/html', retryAfterHeader(fault, now));
  } else if (fault.kind === 'malformed') {
    reply.text(200, MALFORMED_BODY, 'application/json; charset=utf-8');
  } else if (fault.kind === 'rate-limit') {
    if (area === 'canvas') canvasErrors.rateLimited(reply, retryAfterHeader(fault, now));
    else
      replyDapError(
        reply,
        429,
        fault.errorType ?? 'TooManyRequests',
        'Rate limit exceeded.',
        retryAfterHeader(fault, now, 60),
      );
  } else {
    const status = fault.status ?? 500;
    const retry = retryAfterHeader(fault, now, status === 429 ? 1 : undefined);
    if (area === 'canvas') {
      const headers = status === 401 ? { ...WWW_AUTHENTICATE, ...retry } : retry;
      reply.json(status, canvasStatusBody(endpoint, status), headers);
    } else {
      const type = fault.errorType ?? DAP_ERROR_TYPES[status] ?? 'Error';
      replyDapError(reply, status, type, STATUS_CODES[status] ?? 'Error', retry);
    }
  }
};
