import type { LogFields, Logger } from '../core/telemetry.ts';
import type { PublicError } from './error-table.ts';

/**
 * Expected failures are the ones the broker answers by design: every 4xx (the caller's mistake
 * or a policy decision) and a 5xx that tells the caller when to come back (`Retry-After`: a
 * hold, an upstream outage the broker is riding out). Everything else (an INTERNAL 500, an
 * UPSTREAM_FATAL 502 that needs an operator) is unexpected.
 */
export const isExpectedFailure = (answer: Pick<PublicError, 'status' | 'retryAfterSeconds'>): boolean =>
  answer.status < 500 || answer.retryAfterSeconds !== undefined;

/**
 * One log line for a failed request or invocation: WARN for an expected failure, ERROR for an
 * unexpected one. The loggers keep an error's stack at ERROR only, so a 503 TOKEN_UNAVAILABLE is a
 * short WARN line with its code and cause, and only what needs a look carries the frames.
 * A broken log sink never turns the answer into a thrown error.
 */
export const logFailure = (
  logger: Logger,
  subject: string,
  answer: PublicError,
  fields: LogFields,
  error: unknown,
): void => {
  try {
    if (!isExpectedFailure(answer)) logger.error(`${subject} failed`, { ...fields, error });
    else if (answer.status < 500) logger.warn(`${subject} rejected`, fields);
    else logger.warn(`${subject} failed`, { ...fields, error });
  } catch {
    // Nothing to do: the caller still gets its answer.
  }
};
