import { isBrokerError, SecretUnavailableError } from '../core/errors.ts';
import type { SecretSource } from '../core/secret-source.ts';

/**
 * A SecretSource built on first use: secrets are read only to mint or refresh, which most
 * invocations never do, so the Secrets Manager SDK is not loaded at cold start (quality bar P4).
 * A failed load is not cached: the next call tries again.
 */
export const makeLazySecretSource = (load: () => Promise<SecretSource>): SecretSource => {
  let pending: Promise<SecretSource> | undefined;
  const source = (): Promise<SecretSource> => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw isBrokerError(error)
        ? error
        : new SecretUnavailableError('The secret source could not be loaded.', { cause: error });
    });
    return pending;
  };
  return { get: async (secretId, options) => (await source()).get(secretId, options) };
};
