import type { AssertionSigner } from '../core/assertion-signer.ts';
import { CipherUnavailableError } from '../core/errors.ts';
import { lazy } from './lazy.ts';

/**
 * An AssertionSigner whose KMS client loads on the first signature, so a cold start that serves
 * from the table never evaluates it (quality bar P4). A load failure is CIPHER_UNAVAILABLE, as
 * for the envelope cipher: our own KMS plumbing, retryable, a 503.
 */
export const makeLazyAssertionSigner = (
  keyRef: string,
  load: () => Promise<AssertionSigner>,
): AssertionSigner => {
  const signer = lazy(
    load,
    (cause) => new CipherUnavailableError('The assertion signer could not be loaded.', { cause }),
  );
  return {
    keyRef,
    sign: async (claims, signal) => (await signer()).sign(claims, signal),
    publicJwk: async (signal) => (await signer()).publicJwk(signal),
  };
};
