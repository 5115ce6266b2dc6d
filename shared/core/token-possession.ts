import { createHash, timingSafeEqual } from 'node:crypto';
import type { EnvelopeCipher } from './envelope-cipher.ts';
import { isBrokerError } from './errors.ts';
import type { StoredVariant } from './token-store.ts';
import { itemContextOf, type VariantState } from './variant-state.ts';

/**
 * Proof of possession: whether `tokenSha256` (hex) is the SHA-256 of the variant's current token.
 * The plaintext comes from memory when this instance holds the current version, else from the
 * item itself; the comparison is constant-time, so the answer's timing says nothing about how
 * much of the hash matched.
 */
export type TokenPossession = (
  state: VariantState,
  item: StoredVariant,
  tokenSha256: string,
) => Promise<boolean>;

export const makeTokenPossession =
  (cipher: EnvelopeCipher): TokenPossession =>
  async (state, item, tokenSha256) => {
    const current = item.token;
    if (!current) return false;
    const cached = state.cached;
    let plaintext: string;
    if (cached && cached.version === item.version && cached.fingerprint === current.fingerprint) {
      plaintext = cached.token;
    } else {
      try {
        // The same encryption context the engine seals with: credential, variant and version.
        plaintext = await cipher.open(current.envelope, itemContextOf(state.key, item.version));
      } catch (error) {
        // An envelope that does not open is never served; nobody can prove they hold it.
        if (isBrokerError(error) && error.code === 'DECRYPT_FAILED') return false;
        throw error;
      }
    }
    const actual = createHash('sha256').update(plaintext, 'utf8').digest();
    return timingSafeEqual(actual, Buffer.from(tokenSha256, 'hex'));
  };
