import { type BrokerError, isBrokerError } from './errors.ts';

/**
 * Error summaries for log lines: codes, statuses and classes only. Messages of foreign errors are
 * not vetted (an SDK or upstream message may quote a request), so they never reach a log.
 */
export const errorSummary = {
  /** The code of a BrokerError, else the error's class name. */
  of: (error: unknown): string =>
    isBrokerError(error) ? error.code : error instanceof Error ? error.name : 'unknown',
  /** The fields a failed renewal logs. */
  fields: (error: BrokerError | undefined) =>
    error
      ? { code: error.code, upstreamStatus: error.upstreamStatus, retryAfterSeconds: error.retryAfterSeconds }
      : { code: 'INTERNAL' },
} as const;
