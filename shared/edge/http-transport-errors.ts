import { BrokerError, type BrokerErrorOptions } from '../core/errors.ts';

/**
 * The HTTP edge's own failures (codes: shared/core/answer-code.ts). Only the edge raises them, so
 * the core never sees them; the error table maps them with the core's codes.
 */
export class PayloadTooLargeError extends BrokerError<'PAYLOAD_TOO_LARGE'> {
  constructor(message: string, options?: BrokerErrorOptions) {
    super('PAYLOAD_TOO_LARGE', message, options);
  }
}
export class UnsupportedMediaTypeError extends BrokerError<'UNSUPPORTED_MEDIA_TYPE'> {
  constructor(message: string, options?: BrokerErrorOptions) {
    super('UNSUPPORTED_MEDIA_TYPE', message, options);
  }
}
export class RouteNotFoundError extends BrokerError<'ROUTE_NOT_FOUND'> {
  constructor(message: string, options?: BrokerErrorOptions) {
    super('ROUTE_NOT_FOUND', message, options);
  }
}
export class MethodNotAllowedError extends BrokerError<'METHOD_NOT_ALLOWED'> {
  constructor(message: string, options?: BrokerErrorOptions) {
    super('METHOD_NOT_ALLOWED', message, options);
  }
}
