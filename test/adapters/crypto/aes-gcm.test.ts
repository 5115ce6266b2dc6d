import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  contextAad,
  decodeAesGcm,
  encodeAesGcm,
  openAesGcm,
  sealAesGcm,
} from '../../../shared/adapters/crypto/aes-gcm.ts';
import { DecryptionFailedError, EncryptionFailedError } from '../../../shared/core/errors.ts';

const invalid = (message: string) => new EncryptionFailedError(message);
const aad = (context: Record<string, string>) => contextAad(context, invalid);

describe('AES-256-GCM helper', () => {
  it('opens what it sealed with the same key and additional data', () => {
    const key = randomBytes(32);
    const sealed = sealAesGcm(key, Buffer.from('hello token'), aad({ item: 'a' }));
    expect(openAesGcm(key, sealed, aad({ item: 'a' })).toString('utf8')).toBe('hello token');
  });

  it('uses a 12-byte random IV and a full 16-byte tag on every seal', () => {
    const key = randomBytes(32);
    const one = sealAesGcm(key, Buffer.from('same'), aad({ item: 'a' }));
    const two = sealAesGcm(key, Buffer.from('same'), aad({ item: 'a' }));
    expect(one.iv).toHaveLength(12);
    expect(one.tag).toHaveLength(16);
    expect(one.iv.equals(two.iv)).toBe(false);
    expect(one.ciphertext.equals(two.ciphertext)).toBe(false);
  });

  it('fails to open under other additional data, another key, or altered bytes', () => {
    const key = randomBytes(32);
    const sealed = sealAesGcm(key, Buffer.from('secret'), aad({ item: 'a' }));
    expect(() => openAesGcm(key, sealed, aad({ item: 'b' }))).toThrow(DecryptionFailedError);
    expect(() => openAesGcm(randomBytes(32), sealed, aad({ item: 'a' }))).toThrow(DecryptionFailedError);
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => openAesGcm(key, { ...sealed, ciphertext: flipped }, aad({ item: 'a' }))).toThrow(
      DecryptionFailedError,
    );
  });

  it('refuses a truncated authentication tag instead of checking fewer bits', () => {
    const key = randomBytes(32);
    const sealed = sealAesGcm(key, Buffer.from('secret'), aad({ item: 'a' }));
    expect(() => openAesGcm(key, { ...sealed, tag: sealed.tag.subarray(0, 4) }, aad({ item: 'a' }))).toThrow(
      DecryptionFailedError,
    );
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => sealAesGcm(randomBytes(16), Buffer.from('x'), aad({ item: 'a' }))).toThrow(
      EncryptionFailedError,
    );
  });

  it('round-trips through the base64 envelope fields', () => {
    const key = randomBytes(32);
    const sealed = sealAesGcm(key, Buffer.from('secret'), aad({ item: 'a' }));
    const decoded = decodeAesGcm(encodeAesGcm(sealed));
    expect(openAesGcm(key, decoded, aad({ item: 'a' })).toString('utf8')).toBe('secret');
  });

  it('binds the context independently of key order', () => {
    expect(aad({ a: '1', b: '2' }).equals(aad({ b: '2', a: '1' }))).toBe(true);
  });

  it('refuses an empty context or a non-string value through the given error', () => {
    expect(() => aad({})).toThrow(EncryptionFailedError);
    expect(() => aad({ version: 3 } as unknown as Record<string, string>)).toThrow(EncryptionFailedError);
  });
});
