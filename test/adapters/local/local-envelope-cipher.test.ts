import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeLocalEnvelopeCipher } from '../../../shared/adapters/local/local-envelope-cipher.ts';
import type { Envelope } from '../../../shared/core/envelope-cipher.ts';
import {
  BrokerError,
  ConfigInvalidError,
  DecryptionFailedError,
  EncryptionFailedError,
} from '../../../shared/core/errors.ts';
import { findCanaryLeaks, makeCanary } from '../../support/canary.ts';

const contextA = { credentialId: 'canvas-dev', variantId: 'v-aaa', version: '1' };
const contextB = { credentialId: 'canvas-dev', variantId: 'v-bbb', version: '1' };
// Generated per run and registered with the suite-wide leak scan.
const token = () => makeCanary('token');
const newCipher = (key = randomBytes(32)) => ({ key, cipher: makeLocalEnvelopeCipher({ key, keyId: 'k1' }) });

const rejectionOf = async (promise: Promise<unknown>): Promise<BrokerError> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    return error as BrokerError;
  }
  throw new Error('expected the operation to fail');
};

describe('local envelope cipher', () => {
  it('opens what it sealed', async () => {
    const { cipher } = newCipher();
    const plaintext = token();
    await expect(cipher.open(await cipher.seal(plaintext, contextA), contextA)).resolves.toBe(plaintext);
  });

  it('produces the KMS envelope shape, naming the key as local:<keyId>', async () => {
    const { key, cipher } = newCipher();
    const plaintext = token();
    const envelope = await cipher.seal(plaintext, contextA);
    expect(envelope.keyRef).toBe('local:k1');
    expect(Buffer.from(envelope.encryptedKey ?? '', 'base64')).toHaveLength(12 + 16 + 32);
    expect(Buffer.from(envelope.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(envelope.tag, 'base64')).toHaveLength(16);
    const stored = JSON.stringify(envelope);
    expect(stored).not.toContain(plaintext);
    expect(stored).not.toContain(key.toString('base64'));
  });

  it('uses a fresh data key for every seal', async () => {
    const { cipher } = newCipher();
    const one = await cipher.seal('same', contextA);
    const two = await cipher.seal('same', contextA);
    expect(one.encryptedKey).not.toBe(two.encryptedKey);
    expect(one.ciphertext).not.toBe(two.ciphertext);
  });

  it('opens with another cipher built from the same key file contents', async () => {
    const { key, cipher } = newCipher();
    const plaintext = token();
    const envelope = await cipher.seal(plaintext, contextA);
    await expect(newCipher(Buffer.from(key)).cipher.open(envelope, contextA)).resolves.toBe(plaintext);
  });

  it('does not keep the caller’s key buffer, so zeroing it later changes nothing', async () => {
    const key = randomBytes(32);
    const cipher = makeLocalEnvelopeCipher({ key, keyId: 'k1' });
    const envelope = await cipher.seal('still works', contextA);
    key.fill(0);
    await expect(cipher.open(envelope, contextA)).resolves.toBe('still works');
  });

  describe('refuses to open a ciphertext outside its own item', () => {
    it('when the envelope is moved to another context', async () => {
      const { cipher } = newCipher();
      const envelope = await cipher.seal(token(), contextA);
      await expect(cipher.open(envelope, contextB)).rejects.toBeInstanceOf(DecryptionFailedError);
    });

    it('when one envelope’s ciphertext is paired with another’s wrapped key', async () => {
      const { cipher } = newCipher();
      const a = await cipher.seal(token(), contextA);
      const b = await cipher.seal(token(), contextA);
      const swapped: Envelope = { ...a, encryptedKey: b.encryptedKey };
      await expect(cipher.open(swapped, contextA)).rejects.toBeInstanceOf(DecryptionFailedError);
    });

    it('when it was sealed under another master key with the same key id', async () => {
      const envelope = await newCipher().cipher.seal(token(), contextA);
      await expect(newCipher().cipher.open(envelope, contextA)).rejects.toBeInstanceOf(DecryptionFailedError);
    });

    it('when it names another key', async () => {
      const { cipher } = newCipher();
      const envelope = await cipher.seal(token(), contextA);
      await expect(cipher.open({ ...envelope, keyRef: 'local:k2' }, contextA)).rejects.toBeInstanceOf(
        DecryptionFailedError,
      );
    });

    it('when a byte was altered or the wrapped key is missing', async () => {
      const { cipher } = newCipher();
      const envelope = await cipher.seal(token(), contextA);
      const bytes = Buffer.from(envelope.ciphertext, 'base64');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      await expect(
        cipher.open({ ...envelope, ciphertext: bytes.toString('base64') }, contextA),
      ).rejects.toBeInstanceOf(DecryptionFailedError);
      const { encryptedKey: _dropped, ...withoutKey } = envelope;
      await expect(cipher.open(withoutKey, contextA)).rejects.toBeInstanceOf(DecryptionFailedError);
    });
  });

  it('keeps the plaintext and the key out of its errors', async () => {
    const { key, cipher } = newCipher();
    const plaintext = token();
    const envelope = await cipher.seal(plaintext, contextA);
    const error = await rejectionOf(cipher.open(envelope, contextB));
    const views = [error.message, String(error), JSON.stringify(error), inspect(error, { depth: 10 })];
    expect(findCanaryLeaks(views, [plaintext])).toEqual([]);
    for (const view of views) {
      expect(view).not.toContain(key.toString('base64'));
      expect(view).not.toContain(key.toString('hex'));
    }
  });

  it('refuses an empty encryption context', async () => {
    const { cipher } = newCipher();
    await expect(cipher.seal(token(), {})).rejects.toBeInstanceOf(EncryptionFailedError);
  });

  it('refuses a key that is not 32 bytes, or no key id, at construction', () => {
    expect(() => makeLocalEnvelopeCipher({ key: randomBytes(16), keyId: 'k1' })).toThrow(ConfigInvalidError);
    expect(() => makeLocalEnvelopeCipher({ key: randomBytes(32), keyId: '' })).toThrow(ConfigInvalidError);
  });
});
