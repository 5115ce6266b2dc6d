import { SecretUnavailableError } from '../core/errors.ts';
import type { SecretSource } from '../core/secret-source.ts';
import { lazy } from './lazy.ts';

/** A SecretSource whose Secrets Manager client loads on the first read: only a mint or refresh reads. */
export const makeLazySecretSource = (load: () => Promise<SecretSource>): SecretSource => {
  const source = lazy(
    load,
    (cause) => new SecretUnavailableError('The secret source could not be loaded.', { cause }),
  );
  return { get: async (secretId, options) => (await source()).get(secretId, options) };
};
