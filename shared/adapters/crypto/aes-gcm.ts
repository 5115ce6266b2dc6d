import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionContext, Envelope } from '../../core/envelope-cipher.ts';
import { DecryptionFailedError, EncryptionFailedError } from '../../core/errors.ts';
import { canonicalJson } from './canonical-json.ts';

/**
 * AES-256-GCM, the one symmetric scheme both envelope ciphers (KMS and local) use, so the two
 * produce the same envelope fields and fail the same way.
 */

const KEY_BYTES = 32;
// 96-bit IVs are GCM's native size (any other length is hashed into one, which weakens the
// uniqueness bound). IVs are random per seal: every seal uses a fresh data key anyway, so IV reuse
// under one key would need a collision within a single message.
const IV_BYTES = 12;
// Always the full 128-bit tag, and the decipher is told so: Node otherwise accepts truncated tags
// (down to 4 bytes), which would make forging a ciphertext far cheaper.
const TAG_BYTES = 16;

export interface AesGcmSealed {
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly ciphertext: Buffer;
}

/** The envelope fields that carry the AES-GCM output, base64-encoded. */
export type EncodedAesGcm = Pick<Envelope, 'iv' | 'tag' | 'ciphertext'>;

/**
 * The additional authenticated data for a context: its canonical JSON. Binding the context here
 * (and not only in KMS) means a ciphertext moved to another item fails authentication even when
 * the data key is already cached or the key service ignored the context.
 */
export const contextAad = (context: EncryptionContext, invalid: (message: string) => Error): Buffer => {
  // An empty context would bind nothing, and the whole point is that a ciphertext only opens in
  // its own item: refuse it rather than seal something that can be moved anywhere.
  if (context === null || typeof context !== 'object' || Object.keys(context).length === 0) {
    throw invalid('An encryption context with at least one entry is required.');
  }
  try {
    return Buffer.from(canonicalJson(context), 'utf8');
  } catch {
    throw invalid('Every encryption context value must be a string.');
  }
};

export const sealAesGcm = (key: Buffer, plaintext: Buffer, aad: Buffer): AesGcmSealed => {
  if (key.length !== KEY_BYTES) {
    throw new EncryptionFailedError('AES-256-GCM needs a 32-byte key.');
  }
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ciphertext };
};

/** Throws DecryptionFailedError on any mismatch: wrong key, wrong context, or altered bytes. */
export const openAesGcm = (key: Buffer, sealed: AesGcmSealed, aad: Buffer): Buffer => {
  if (key.length !== KEY_BYTES || sealed.iv.length !== IV_BYTES || sealed.tag.length !== TAG_BYTES) {
    throw new DecryptionFailedError('The envelope is not a well-formed AES-256-GCM envelope.');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch (error) {
    // Node's message here is fixed text ("Unsupported state or unable to authenticate data"),
    // never key or data bytes, so the cause is safe to keep.
    throw new DecryptionFailedError(
      'The envelope failed authentication: wrong key, wrong encryption context, or altered ciphertext.',
      { cause: error },
    );
  }
};

export const encodeAesGcm = (sealed: AesGcmSealed): EncodedAesGcm => ({
  iv: sealed.iv.toString('base64'),
  tag: sealed.tag.toString('base64'),
  ciphertext: sealed.ciphertext.toString('base64'),
});

/** Lengths are checked by `openAesGcm`; a garbled field then fails as a malformed envelope. */
export const decodeAesGcm = (encoded: EncodedAesGcm): AesGcmSealed => ({
  iv: Buffer.from(String(encoded.iv), 'base64'),
  tag: Buffer.from(String(encoded.tag), 'base64'),
  ciphertext: Buffer.from(String(encoded.ciphertext), 'base64'),
});
