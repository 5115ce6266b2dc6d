import { ConfigInvalidError } from '../../core/errors.ts';

/**
 * The client settings every AWS SDK client of the broker shares. The SDK's defaults have no request
 * timeout, so a black-holed connection would hold a request until the Lambda times out; one attempt
 * is bounded here, and there is at most one SDK retry because the broker retries at one layer (its
 * own backoff, shared through the table).
 */
export const sdkDeadlines = (service: string, timeoutMs: number, maxSockets?: number) => {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigInvalidError(`The ${service} timeout must be a positive number of milliseconds.`);
  }
  return {
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: timeoutMs,
      requestTimeout: timeoutMs,
      // Without this the handler only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
      ...(maxSockets === undefined
        ? {}
        : { httpAgent: { keepAlive: true, maxSockets }, httpsAgent: { keepAlive: true, maxSockets } }),
    },
  };
};
