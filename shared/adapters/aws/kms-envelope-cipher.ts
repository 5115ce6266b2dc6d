import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { Clock } from '../../core/clock.ts';
import type { EncryptionContext, Envelope, EnvelopeCipher } from '../../core/envelope-cipher.ts';
import { ConfigInvalidError, DecryptionFailedError, EncryptionFailedError } from '../../core/errors.ts';
import { contextAad, decodeAesGcm, encodeAesGcm, openAesGcm, sealAesGcm } from '../crypto/aes-gcm.ts';
import { systemClock } from '../system-clock.ts';
import { translateKmsError } from './kms-error-translation.ts';

export interface KmsEnvelopeCipherDeps {
  readonly client: KMSClient;
  /** The KMS key (ARN or alias ARN) that wraps data keys; the only key `open` will use. */
  readonly keyArn: string;
  /** Decrypted data keys kept in memory (least recently used evicted). 0 disables the cache. */
  readonly cacheSize?: number;
  /**
   * How long a decrypted data key may be reused without asking KMS again, counted from the
   * Decrypt that produced it (uses do not extend it). Bounds how long a disabled or revoked KMS
   * key, or a changed key policy, goes unnoticed by a warm instance, and how long a plaintext
   * data key sits in memory. Default 5 minutes; must be positive.
   */
  readonly cacheMaxAgeMs?: number;
  /** Only for the cache's age; defaults to the system clock. */
  readonly clock?: Pick<Clock, 'now'>;
}

const DEFAULT_CACHE_SIZE = 100;
const DEFAULT_CACHE_MAX_AGE_MS = 5 * 60_000;
const DATA_KEY_BYTES = 32;

interface CachedKey {
  readonly key: Buffer;
  /** When KMS handed it out (clock time); the entry is stale from `decryptedAt + maxAge` on. */
  readonly decryptedAt: number;
}

interface SharedDecrypt {
  readonly promise: Promise<Buffer>;
  users: number;
}

/**
 * Envelope encryption with KMS: a fresh AES-256 data key per seal from GenerateDataKey, the token
 * sealed locally with AES-256-GCM, and only the KMS-encrypted data key stored. The context is
 * bound twice: as KMS encryption context (Decrypt refuses another context) and as GCM additional
 * data (so a cached data key or a careless key service still cannot open a moved ciphertext).
 */
export const makeKmsEnvelopeCipher = ({
  client,
  keyArn,
  cacheSize = DEFAULT_CACHE_SIZE,
  cacheMaxAgeMs = DEFAULT_CACHE_MAX_AGE_MS,
  clock = systemClock,
}: KmsEnvelopeCipherDeps): EnvelopeCipher => {
  if (!Number.isInteger(cacheSize) || cacheSize < 0) {
    throw new ConfigInvalidError('The KMS data-key cache size must be a non-negative integer.');
  }
  if (!Number.isSafeInteger(cacheMaxAgeMs) || cacheMaxAgeMs <= 0) {
    throw new ConfigInvalidError(
      'The KMS data-key cache age must be a positive whole number of milliseconds.',
    );
  }
  if (typeof keyArn !== 'string' || keyArn === '') {
    throw new ConfigInvalidError('A KMS key ARN is required for the envelope cipher.');
  }

  // Every instance reads the same few items over and over; without this each shared-tier hit would
  // pay a KMS round trip (and KMS request quota). Map order is recency order: first = oldest.
  const cache = new Map<string, CachedKey>();
  // Concurrent opens of one envelope share one Decrypt call.
  const inflight = new Map<string, SharedDecrypt>();

  const isStale = (entry: CachedKey, now: number): boolean =>
    // A clock that went backwards also ends the entry: its age can no longer be trusted.
    now - entry.decryptedAt >= cacheMaxAgeMs || now < entry.decryptedAt;

  const forget = (cacheKey: string, entry: CachedKey): void => {
    cache.delete(cacheKey);
    entry.key.fill(0);
  };

  const remember = (cacheKey: string, key: Buffer, decryptedAt: number): void => {
    if (cacheSize === 0) return;
    const previous = cache.get(cacheKey);
    if (previous) forget(cacheKey, previous);
    // Expired keys go on every miss (at most cacheSize entries to look at), so none lingers in
    // memory past its age just because nobody asked for it again.
    const now = clock.now();
    for (const [name, entry] of cache) if (isStale(entry, now)) forget(name, entry);
    // The cache owns its own copy, so zeroing the in-flight copy after use cannot touch it.
    cache.set(cacheKey, { key: Buffer.from(key), decryptedAt });
    for (const [oldest, evicted] of cache) {
      if (cache.size <= cacheSize) break;
      forget(oldest, evicted);
    }
  };

  const decryptDataKey = async (encryptedKey: Buffer, context: EncryptionContext): Promise<Buffer> => {
    let plaintext: Uint8Array | undefined;
    try {
      const out = await client.send(
        // KeyId pins the key: KMS would otherwise use whichever key the ciphertext names.
        new DecryptCommand({
          CiphertextBlob: encryptedKey,
          EncryptionContext: { ...context },
          KeyId: keyArn,
        }),
      );
      plaintext = out.Plaintext;
    } catch (error) {
      throw translateKmsError(error, 'open', keyArn);
    }
    if (!plaintext || plaintext.length !== DATA_KEY_BYTES) {
      plaintext?.fill(0);
      throw new DecryptionFailedError(`KMS returned a data key of the wrong size for ${keyArn}.`, {
        details: { keyArn },
      });
    }
    const key = Buffer.from(plaintext);
    plaintext.fill(0);
    return key;
  };

  /** Runs `use` synchronously with the data key, so no eviction can zero it mid-use. */
  const withDataKey = async <T>(
    cacheKey: string,
    encryptedKey: Buffer,
    context: EncryptionContext,
    use: (key: Buffer) => T,
  ): Promise<T> => {
    const cached = cache.get(cacheKey);
    if (cached && isStale(cached, clock.now())) forget(cacheKey, cached);
    else if (cached) {
      cache.delete(cacheKey);
      cache.set(cacheKey, cached);
      return use(cached.key);
    }
    let shared = inflight.get(cacheKey);
    if (!shared) {
      // The age counts from before the call: KMS vouched for the key no later than this.
      const askedAt = clock.now();
      const promise = decryptDataKey(encryptedKey, context).then(
        (key) => {
          // Removed before any waiter resumes, so nobody can join after the key may be zeroed.
          inflight.delete(cacheKey);
          remember(cacheKey, key, askedAt);
          return key;
        },
        (error: unknown) => {
          // A failure is not remembered: the next open asks KMS again.
          inflight.delete(cacheKey);
          throw error;
        },
      );
      shared = { promise, users: 0 };
      inflight.set(cacheKey, shared);
    }
    shared.users += 1;
    let key: Buffer | undefined;
    try {
      key = await shared.promise;
      return use(key);
    } finally {
      shared.users -= 1;
      // The last waiter zeroes the shared plaintext key; the cache keeps its own copy.
      if (shared.users === 0) key?.fill(0);
    }
  };

  return {
    async seal(plaintext: string, context: EncryptionContext): Promise<Envelope> {
      const aad = contextAad(context, (message) => new EncryptionFailedError(message));
      if (typeof plaintext !== 'string') throw new EncryptionFailedError('Only text can be sealed.');
      let dataKey: Uint8Array | undefined;
      let encryptedKey: Uint8Array | undefined;
      try {
        const out = await client.send(
          new GenerateDataKeyCommand({
            KeyId: keyArn,
            KeySpec: 'AES_256',
            EncryptionContext: { ...context },
          }),
        );
        dataKey = out.Plaintext;
        encryptedKey = out.CiphertextBlob;
      } catch (error) {
        throw translateKmsError(error, 'seal', keyArn);
      }
      if (!dataKey || dataKey.length !== DATA_KEY_BYTES || !encryptedKey || encryptedKey.length === 0) {
        dataKey?.fill(0);
        throw new EncryptionFailedError(`KMS returned an unusable data key for ${keyArn}.`, {
          details: { keyArn },
        });
      }
      // A view, not a copy: zeroing it clears the SDK's buffer too, leaving no plaintext key behind.
      const key = Buffer.from(dataKey.buffer, dataKey.byteOffset, dataKey.byteLength);
      const data = Buffer.from(plaintext, 'utf8');
      try {
        const sealed = sealAesGcm(key, data, aad);
        return {
          keyRef: keyArn,
          encryptedKey: Buffer.from(encryptedKey).toString('base64'),
          ...encodeAesGcm(sealed),
        };
      } finally {
        key.fill(0);
        data.fill(0);
      }
    },

    async open(envelope: Envelope, context: EncryptionContext): Promise<string> {
      const aad = contextAad(context, (message) => new DecryptionFailedError(message));
      // Only the configured key is trusted; the envelope's own keyRef (stored data) is not echoed.
      if (envelope.keyRef !== keyArn) {
        throw new DecryptionFailedError(`The envelope was not sealed under the configured key ${keyArn}.`, {
          details: { keyArn },
        });
      }
      const encryptedKey = Buffer.from(String(envelope.encryptedKey ?? ''), 'base64');
      if (encryptedKey.length === 0) {
        throw new DecryptionFailedError('The envelope has no encrypted data key.', { details: { keyArn } });
      }
      const sealed = decodeAesGcm(envelope);
      // The context is part of the key: a data key is only reused for the context KMS checked.
      const cacheKey = `${encryptedKey.toString('base64')}\n${aad.toString('utf8')}`;
      const bytes = await withDataKey(cacheKey, encryptedKey, context, (key) => openAesGcm(key, sealed, aad));
      try {
        return bytes.toString('utf8');
      } finally {
        bytes.fill(0);
      }
    },
  };
};
