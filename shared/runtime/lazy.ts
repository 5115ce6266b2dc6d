import { type BrokerError, isBrokerError } from '../core/errors.ts';

/**
 * A dependency built on first use, shared by every later call. The SDKs and HTTP clients behind
 * the ports are the heaviest modules of a bundle and most invocations (memory-tier hits) never
 * need them, so loading them lazily keeps the cold start small (quality bar P4). A failed load is
 * not cached, so the next call tries again; a failure that is not already a BrokerError becomes
 * `wrap(cause)`, the port's own error for "not available".
 */
export const lazy = <T>(
  load: () => Promise<T>,
  wrap: (cause: unknown) => BrokerError,
): (() => Promise<T>) => {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw isBrokerError(error) ? error : wrap(error);
    });
    return pending;
  };
};
