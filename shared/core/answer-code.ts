import type { ErrorCode } from './errors.ts';

/**
 * Failures of the HTTP request itself, before it means anything to the broker: no such route, a
 * method the route does not take, a body too large or not JSON. Only the HTTP edge raises them
 * (shared/edge/http-transport-errors.ts); they are not in the core's closed union, and are named
 * here only because the wire contract (the error table, the published client) lists them.
 */
export type HttpTransportCode =
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED';

/** Every code an error answer of the broker can carry before the error table folds it. */
export type AnswerCode = ErrorCode | HttpTransportCode;
