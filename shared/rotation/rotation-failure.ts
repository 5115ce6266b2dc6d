import { type BrokerError, brokerErrorOf, InternalError, isBrokerError } from '../core/errors.ts';

/**
 * Re-states a failure in rotation terms (which step, what it means for AWSCURRENT) while keeping
 * its class, code, retry hint and upstream status, so "Canvas rate-limited the create" stays retryable and
 * "Canvas forbids personal tokens" stays fatal. The cause's message is already safe (BrokerError
 * messages never hold secrets); anything else is not quoted.
 */
export const rotationFailure = (
  message: string,
  cause: unknown,
  details: Readonly<Record<string, string | number | boolean>>,
): BrokerError => {
  if (!isBrokerError(cause)) return new InternalError(`${message}: unexpected error`, { cause, details });
  return brokerErrorOf(cause.code, `${message}: ${cause.message}`, {
    cause,
    ...(cause.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: cause.retryAfterSeconds }),
    ...(cause.upstreamStatus === undefined ? {} : { upstreamStatus: cause.upstreamStatus }),
    details: { ...cause.details, ...details },
  });
};
