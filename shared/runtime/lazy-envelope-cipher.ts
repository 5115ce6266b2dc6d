import type { EnvelopeCipher } from '../core/envelope-cipher.ts';
import { CipherUnavailableError, isBrokerError } from '../core/errors.ts';

/**
 * An EnvelopeCipher built on first use. The KMS SDK is among the heaviest modules of a bundle and
 * is needed only when a token is read from or written to the table, never on a memory-tier hit,
 * so loading it lazily keeps the cold start small (quality bar P4). A failed load is not cached:
 * the next call tries again.
 */
export const makeLazyEnvelopeCipher = (load: () => Promise<EnvelopeCipher>): EnvelopeCipher => {
  let pending: Promise<EnvelopeCipher> | undefined;
  const cipher = (): Promise<EnvelopeCipher> => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw isBrokerError(error)
        ? error
        : new CipherUnavailableError('The envelope cipher could not be loaded.', { cause: error });
    });
    return pending;
  };
  return {
    seal: async (plaintext, context) => (await cipher()).seal(plaintext, context),
    open: async (envelope, context) => (await cipher()).open(envelope, context),
  };
};
