import { randomBytes } from 'node:crypto';
import type { EncryptionContext, Envelope, EnvelopeCipher } from '../../core/envelope-cipher.ts';
import { ConfigInvalidError, DecryptionFailedError, EncryptionFailedError } from '../../core/errors.ts';
import {
  type AesGcmSealed,
  contextAad,
  decodeAesGcm,
  encodeAesGcm,
  openAesGcm,
  sealAesGcm,
} from '../crypto/aes-gcm.ts';

export interface LocalEnvelopeCipherDeps {
  /** The 32-byte master key (see `loadOrCreateLocalKey`). Copied; the caller's buffer is not kept. */
  readonly key: Buffer;
  /** A non-secret name for the key, recorded as `local:<keyId>` in every envelope. */
  readonly keyId: string;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

// The wrapped data key is stored as iv || tag || ciphertext in the one `encryptedKey` field.
const packWrapped = (sealed: AesGcmSealed): string =>
  Buffer.concat([sealed.iv, sealed.tag, sealed.ciphertext]).toString('base64');

const unpackWrapped = (encoded: string): AesGcmSealed | undefined => {
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length !== IV_BYTES + TAG_BYTES + KEY_BYTES) return undefined;
  return {
    iv: bytes.subarray(0, IV_BYTES),
    tag: bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES),
    ciphertext: bytes.subarray(IV_BYTES + TAG_BYTES),
  };
};

/**
 * Local mode's stand-in for KMS, with the same envelope shape: a fresh random data key per seal,
 * wrapped by the master key, the token sealed under the data key. Both layers take the context as
 * GCM additional data, so a ciphertext (or its wrapped key) moved to another item does not open,
 * exactly as with KMS encryption context.
 */
export const makeLocalEnvelopeCipher = ({ key, keyId }: LocalEnvelopeCipherDeps): EnvelopeCipher => {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new ConfigInvalidError('The local envelope key must be exactly 32 bytes.');
  }
  if (typeof keyId !== 'string' || keyId === '') {
    throw new ConfigInvalidError('The local envelope key needs a key id.');
  }
  const masterKey = Buffer.from(key);
  const keyRef = `local:${keyId}`;

  return {
    async seal(plaintext: string, context: EncryptionContext): Promise<Envelope> {
      const aad = contextAad(context, (message) => new EncryptionFailedError(message));
      if (typeof plaintext !== 'string') throw new EncryptionFailedError('Only text can be sealed.');
      const dataKey = randomBytes(KEY_BYTES);
      const data = Buffer.from(plaintext, 'utf8');
      try {
        const wrapped = sealAesGcm(masterKey, dataKey, aad);
        const sealed = sealAesGcm(dataKey, data, aad);
        return { keyRef, encryptedKey: packWrapped(wrapped), ...encodeAesGcm(sealed) };
      } finally {
        dataKey.fill(0);
        data.fill(0);
      }
    },

    async open(envelope: Envelope, context: EncryptionContext): Promise<string> {
      const aad = contextAad(context, (message) => new DecryptionFailedError(message));
      if (envelope.keyRef !== keyRef) {
        throw new DecryptionFailedError(`The envelope was not sealed under the local key ${keyRef}.`, {
          details: { keyRef },
        });
      }
      const wrapped = unpackWrapped(String(envelope.encryptedKey ?? ''));
      if (!wrapped) {
        throw new DecryptionFailedError('The envelope has no well-formed wrapped data key.', {
          details: { keyRef },
        });
      }
      const dataKey = openAesGcm(masterKey, wrapped, aad);
      let bytes: Buffer | undefined;
      try {
        bytes = openAesGcm(dataKey, decodeAesGcm(envelope), aad);
        return bytes.toString('utf8');
      } finally {
        dataKey.fill(0);
        bytes?.fill(0);
      }
    },
  };
};
