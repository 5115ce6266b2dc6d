import type { EnvelopeCipher } from '../core/envelope-cipher.ts';
import { CipherUnavailableError } from '../core/errors.ts';
import { lazy } from './lazy.ts';

/** An EnvelopeCipher whose KMS client loads on the first seal or open, never on a memory-tier hit. */
export const makeLazyEnvelopeCipher = (load: () => Promise<EnvelopeCipher>): EnvelopeCipher => {
  const cipher = lazy(
    load,
    (cause) => new CipherUnavailableError('The envelope cipher could not be loaded.', { cause }),
  );
  return {
    seal: async (plaintext, context) => (await cipher()).seal(plaintext, context),
    open: async (envelope, context) => (await cipher()).open(envelope, context),
  };
};
