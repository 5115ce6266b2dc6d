import type { EncryptionContext, Envelope, EnvelopeCipher } from '../../shared/core/envelope-cipher.ts';
import { DecryptionFailedError } from '../../shared/core/errors.ts';

const contextKey = (context: EncryptionContext) =>
  JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b)));

/**
 * Binds the plaintext to its context like the real ciphers do (a moved envelope fails to open),
 * without real cryptography, for core unit tests. Real ciphers are tested in test/adapters.
 */
export const makeFakeCipher = (): EnvelopeCipher => ({
  seal: async (plaintext, context) => ({
    keyRef: 'fake',
    iv: '',
    tag: Buffer.from(contextKey(context)).toString('base64'),
    ciphertext: Buffer.from(plaintext).reverse().toString('base64'),
  }),
  open: async (envelope: Envelope, context) => {
    if (Buffer.from(envelope.tag, 'base64').toString() !== contextKey(context)) {
      throw new DecryptionFailedError('context mismatch');
    }
    return Buffer.from(envelope.ciphertext, 'base64').reverse().toString();
  },
});
