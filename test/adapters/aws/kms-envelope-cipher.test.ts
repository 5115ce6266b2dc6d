import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import {
  DecryptCommand,
  type DecryptCommandInput,
  DependencyTimeoutException,
  DisabledException,
  GenerateDataKeyCommand,
  type GenerateDataKeyCommandInput,
  IncorrectKeyException,
  InvalidCiphertextException,
  InvalidKeyUsageException,
  KeyUnavailableException,
  KMSClient,
  KMSInternalException,
  KMSInvalidStateException,
  KMSServiceException,
  LimitExceededException,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { makeKmsEnvelopeCipher } from '../../../shared/adapters/aws/kms-envelope-cipher.ts';
import { canonicalJson } from '../../../shared/adapters/crypto/canonical-json.ts';
import type { Envelope } from '../../../shared/core/envelope-cipher.ts';
import {
  BrokerError,
  CipherUnavailableError,
  ConfigInvalidError,
  DecryptionFailedError,
  EncryptionFailedError,
} from '../../../shared/core/errors.ts';
import { findCanaryLeaks, makeCanary } from '../../support/canary.ts';
import { makeFakeClock } from '../../support/fake-clock.ts';

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const kms = mockClient(KMSClient);
const client = new KMSClient({ region: 'us-east-1' });

const contextA = { credentialId: 'canvas-prod', variantId: 'v-aaa', version: '3' };
const contextB = { credentialId: 'canvas-prod', variantId: 'v-bbb', version: '3' };
// Generated per run and registered with the suite-wide leak scan.
const token = () => makeCanary('token');

/**
 * A stand-in for KMS at the SDK seam: hands out random data keys, remembers which context each was
 * issued for, and (unless told to be careless) refuses Decrypt under any other context, as KMS does.
 */
const fakeKms = ({ ignoreContext = false } = {}) => {
  const issued = new Map<string, { key: Buffer; context: string }>();
  const handedOut: Uint8Array[] = [];
  const failures: unknown[] = [];
  kms.on(GenerateDataKeyCommand).callsFake((input: GenerateDataKeyCommandInput) => {
    const key = randomBytes(32);
    const blob = randomBytes(64);
    issued.set(blob.toString('base64'), { key, context: canonicalJson(input.EncryptionContext ?? {}) });
    const plaintext = new Uint8Array(key);
    handedOut.push(plaintext);
    return { KeyId: KEY_ARN, Plaintext: plaintext, CiphertextBlob: new Uint8Array(blob) };
  });
  kms.on(DecryptCommand).callsFake((input: DecryptCommandInput) => {
    if (failures.length > 0) throw failures.shift();
    const entry = issued.get(Buffer.from(input.CiphertextBlob ?? new Uint8Array()).toString('base64'));
    if (!entry || (!ignoreContext && entry.context !== canonicalJson(input.EncryptionContext ?? {}))) {
      throw new InvalidCiphertextException({ $metadata: {}, message: 'invalid ciphertext' });
    }
    const plaintext = new Uint8Array(entry.key);
    handedOut.push(plaintext);
    return { KeyId: KEY_ARN, Plaintext: plaintext };
  });
  return {
    handedOut,
    dataKeys: () => [...issued.values()].map(({ key }) => key),
    failNextDecrypt: (error: unknown) => failures.push(error),
  };
};

const decryptCalls = () => kms.commandCalls(DecryptCommand).length;

const rejectionOf = async (promise: Promise<unknown>): Promise<BrokerError> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    return error as BrokerError;
  }
  throw new Error('expected the operation to fail');
};

/** Everything a logger or an error body could show of an error, including its cause chain. */
const expectNoLeak = (error: BrokerError, secrets: string[]) => {
  const views = [error.message, String(error), JSON.stringify(error), inspect(error, { depth: 10 })];
  expect(findCanaryLeaks(views, secrets)).toEqual([]);
};
const keyForms = (key: Buffer) => [key.toString('base64'), key.toString('hex')];

const serviceError = (name: string, fault: 'client' | 'server' = 'client') =>
  new KMSServiceException({ name, $fault: fault, $metadata: {}, message: `${name} happened` });

beforeEach(() => kms.reset());
afterAll(() => kms.restore());

describe('KMS envelope cipher', () => {
  it('opens what it sealed', async () => {
    fakeKms();
    const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
    const plaintext = token();
    const envelope = await cipher.seal(plaintext, contextA);
    await expect(cipher.open(envelope, contextA)).resolves.toBe(plaintext);
  });

  it('asks KMS for an AES-256 data key under the configured key with the item as encryption context', async () => {
    fakeKms();
    const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
    await cipher.seal(token(), contextA);
    const [call] = kms.commandCalls(GenerateDataKeyCommand);
    expect(call?.args[0].input).toEqual({ KeyId: KEY_ARN, KeySpec: 'AES_256', EncryptionContext: contextA });
  });

  it('decrypts the data key with the same encryption context, pinned to the configured key', async () => {
    fakeKms();
    const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
    const envelope = await cipher.seal(token(), contextA);
    await cipher.open(envelope, contextA);
    const [call] = kms.commandCalls(DecryptCommand);
    const input = call?.args[0].input;
    expect(input?.EncryptionContext).toEqual(contextA);
    expect(input?.KeyId).toBe(KEY_ARN);
    expect(Buffer.from(input?.CiphertextBlob ?? new Uint8Array()).toString('base64')).toBe(
      envelope.encryptedKey,
    );
  });

  it('produces an envelope of base64 fields that holds only the encrypted data key', async () => {
    const kmsFake = fakeKms();
    const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
    const plaintext = token();
    const envelope = await cipher.seal(plaintext, contextA);
    const [blob] = kms.commandCalls(GenerateDataKeyCommand);
    const blobOut = await blob?.returnValue;
    expect(envelope.keyRef).toBe(KEY_ARN);
    expect(envelope.encryptedKey).toBe(Buffer.from(blobOut?.CiphertextBlob ?? []).toString('base64'));
    expect(Buffer.from(envelope.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(envelope.tag, 'base64')).toHaveLength(16);
    const stored = JSON.stringify(envelope);
    expect(stored).not.toContain(plaintext);
    expect(stored).not.toContain(Buffer.from(plaintext).toString('base64'));
    for (const key of kmsFake.dataKeys())
      for (const form of keyForms(key)) expect(stored).not.toContain(form);
  });

  it('zeroes the plaintext data keys KMS handed out once it has used them', async () => {
    const kmsFake = fakeKms();
    const cached = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
    const uncached = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN, cacheSize: 0 });
    const envelope = await cached.seal(token(), contextA);
    await cached.open(envelope, contextA);
    await uncached.open(envelope, contextA);
    expect(kmsFake.handedOut).toHaveLength(3);
    for (const buffer of kmsFake.handedOut) expect(buffer.every((byte) => byte === 0)).toBe(true);
  });

  it('uses a fresh data key and IV for every seal', async () => {
    fakeKms();
    const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
    const one = await cipher.seal('same', contextA);
    const two = await cipher.seal('same', contextA);
    expect(one.encryptedKey).not.toBe(two.encryptedKey);
    expect(one.iv).not.toBe(two.iv);
    expect(one.ciphertext).not.toBe(two.ciphertext);
  });

  describe('refuses to open a ciphertext outside its own item', () => {
    it('when the whole envelope is moved to another context', async () => {
      fakeKms();
      const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
      const envelope = await cipher.seal(token(), contextA);
      await expect(cipher.open(envelope, contextB)).rejects.toBeInstanceOf(DecryptionFailedError);
    });

    it('even when its data key is already cached for the original context', async () => {
      fakeKms();
      const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
      const envelope = await cipher.seal(token(), contextA);
      await cipher.open(envelope, contextA);
      await expect(cipher.open(envelope, contextB)).rejects.toBeInstanceOf(DecryptionFailedError);
      // The cached key is only reused for the context KMS checked; another context asks KMS again.
      expect(decryptCalls()).toBe(2);
    });

    it('even when the key service ignored the context, because the context is also GCM additional data', async () => {
      fakeKms({ ignoreContext: true });
      const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
      const envelope = await cipher.seal(token(), contextA);
      const error = await rejectionOf(cipher.open(envelope, contextB));
      expect(error).toBeInstanceOf(DecryptionFailedError);
      expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
    });

    it('when one envelope’s ciphertext is paired with another envelope’s data key', async () => {
      fakeKms();
      const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
      const a = await cipher.seal(token(), contextA);
      const b = await cipher.seal(token(), contextA);
      const swapped: Envelope = { ...a, encryptedKey: b.encryptedKey };
      await expect(cipher.open(swapped, contextA)).rejects.toBeInstanceOf(DecryptionFailedError);
    });

    it('when the ciphertext or tag was altered', async () => {
      fakeKms();
      const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
      const envelope = await cipher.seal(token(), contextA);
      const bytes = Buffer.from(envelope.ciphertext, 'base64');
      bytes[0] = (bytes[0] ?? 0) ^ 0xff;
      await expect(
        cipher.open({ ...envelope, ciphertext: bytes.toString('base64') }, contextA),
      ).rejects.toBeInstanceOf(DecryptionFailedError);
      await expect(cipher.open({ ...envelope, tag: '' }, contextA)).rejects.toBeInstanceOf(
        DecryptionFailedError,
      );
    });
  });

  it('refuses an envelope sealed under another key without calling KMS', async () => {
    fakeKms();
    const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
    const envelope = await cipher.seal(token(), contextA);
    const error = await rejectionOf(cipher.open({ ...envelope, keyRef: `${KEY_ARN}-other` }, contextA));
    expect(error).toBeInstanceOf(DecryptionFailedError);
    expect(decryptCalls()).toBe(0);
  });

  it('refuses an envelope without an encrypted data key without calling KMS', async () => {
    fakeKms();
    const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
    const { encryptedKey: _dropped, ...envelope } = await cipher.seal(token(), contextA);
    await expect(cipher.open(envelope, contextA)).rejects.toBeInstanceOf(DecryptionFailedError);
    expect(decryptCalls()).toBe(0);
  });

  it('refuses to seal or open without an encryption context, before calling KMS', async () => {
    fakeKms();
    const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
    await expect(cipher.seal(token(), {})).rejects.toBeInstanceOf(EncryptionFailedError);
    const envelope = await cipher.seal(token(), contextA);
    await expect(cipher.open(envelope, {})).rejects.toBeInstanceOf(DecryptionFailedError);
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(1);
    expect(decryptCalls()).toBe(0);
  });

  describe('data-key cache', () => {
    it('opens the same envelope again without a second Decrypt', async () => {
      fakeKms();
      const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
      const plaintext = token();
      const envelope = await cipher.seal(plaintext, contextA);
      await expect(cipher.open(envelope, contextA)).resolves.toBe(plaintext);
      await expect(cipher.open(envelope, contextA)).resolves.toBe(plaintext);
      expect(decryptCalls()).toBe(1);
    });

    it('shares one Decrypt between concurrent opens of the same envelope', async () => {
      fakeKms();
      const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
      const plaintext = token();
      const envelope = await cipher.seal(plaintext, contextA);
      const opened = await Promise.all(Array.from({ length: 20 }, () => cipher.open(envelope, contextA)));
      expect(new Set(opened)).toEqual(new Set([plaintext]));
      expect(decryptCalls()).toBe(1);
    });

    it('calls Decrypt every time when the cache size is 0', async () => {
      fakeKms();
      const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN, cacheSize: 0 });
      const plaintext = token();
      const envelope = await cipher.seal(plaintext, contextA);
      await expect(cipher.open(envelope, contextA)).resolves.toBe(plaintext);
      await expect(cipher.open(envelope, contextA)).resolves.toBe(plaintext);
      expect(decryptCalls()).toBe(2);
    });

    it('stays bounded, evicting the least recently used key', async () => {
      fakeKms();
      const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN, cacheSize: 2 });
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => cipher.seal(token(), contextA)));
      if (!a || !b || !c) throw new Error('seal failed');
      await cipher.open(a, contextA);
      await cipher.open(b, contextA);
      await cipher.open(a, contextA); // a is now the most recent
      await cipher.open(c, contextA); // evicts b
      expect(decryptCalls()).toBe(3);
      await cipher.open(a, contextA);
      expect(decryptCalls()).toBe(3);
      await cipher.open(b, contextA);
      expect(decryptCalls()).toBe(4);
    });

    describe('age bound', () => {
      const MAX_AGE = 60_000;
      const aged = (clock = makeFakeClock()) => ({
        clock,
        cipher: makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN, cacheMaxAgeMs: MAX_AGE, clock }),
      });

      it('reuses a data key until its age, then asks KMS again', async () => {
        fakeKms();
        const { clock, cipher } = aged();
        const plaintext = token();
        const envelope = await cipher.seal(plaintext, contextA);
        await cipher.open(envelope, contextA);
        clock.advance(MAX_AGE - 1);
        await expect(cipher.open(envelope, contextA)).resolves.toBe(plaintext);
        expect(decryptCalls()).toBe(1);
        clock.advance(1);
        await expect(cipher.open(envelope, contextA)).resolves.toBe(plaintext);
        expect(decryptCalls()).toBe(2);
      });

      it('counts the age from the Decrypt, not from the last use', async () => {
        fakeKms();
        const { clock, cipher } = aged();
        const envelope = await cipher.seal(token(), contextA);
        await cipher.open(envelope, contextA);
        for (let i = 0; i < 4; i += 1) {
          clock.advance(MAX_AGE / 4);
          await cipher.open(envelope, contextA);
        }
        // Opens at 15, 30 and 45 s were hits; the one at 60 s asked again.
        expect(decryptCalls()).toBe(2);
      });

      it('notices a KMS key disabled after its data key was cached, once the age has passed', async () => {
        fakeKms();
        const { clock, cipher } = aged();
        const envelope = await cipher.seal(token(), contextA);
        await cipher.open(envelope, contextA);
        kms.on(DecryptCommand).rejects(new DisabledException({ $metadata: {}, message: 'disabled' }));
        await cipher.open(envelope, contextA);
        clock.advance(MAX_AGE);
        await expect(cipher.open(envelope, contextA)).rejects.toBeInstanceOf(BrokerError);
      });

      it('asks KMS again when the clock went backwards', async () => {
        fakeKms();
        const { clock, cipher } = aged();
        const envelope = await cipher.seal(token(), contextA);
        await cipher.open(envelope, contextA);
        clock.advance(-1);
        await cipher.open(envelope, contextA);
        expect(decryptCalls()).toBe(2);
      });

      it('drops expired keys on a miss, so a bounded cache holds no stale entries', async () => {
        fakeKms();
        const { clock, cipher } = aged();
        const [a, b] = await Promise.all([1, 2].map(() => cipher.seal(token(), contextA)));
        if (!a || !b) throw new Error('seal failed');
        await cipher.open(a, contextA);
        clock.advance(MAX_AGE);
        await cipher.open(b, contextA);
        await cipher.open(b, contextA);
        await cipher.open(a, contextA);
        expect(decryptCalls()).toBe(3);
      });

      it('defaults to 5 minutes', async () => {
        fakeKms();
        const clock = makeFakeClock();
        const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN, clock });
        const envelope = await cipher.seal(token(), contextA);
        await cipher.open(envelope, contextA);
        clock.advance(5 * 60_000 - 1);
        await cipher.open(envelope, contextA);
        expect(decryptCalls()).toBe(1);
        clock.advance(1);
        await cipher.open(envelope, contextA);
        expect(decryptCalls()).toBe(2);
      });

      it('refuses a zero, negative or fractional age at construction', () => {
        for (const cacheMaxAgeMs of [0, -1, 1.5, Number.POSITIVE_INFINITY]) {
          expect(() => makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN, cacheMaxAgeMs })).toThrow(
            ConfigInvalidError,
          );
        }
      });
    });

    it('does not remember a failed Decrypt', async () => {
      const kmsFake = fakeKms();
      const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
      const plaintext = token();
      const envelope = await cipher.seal(plaintext, contextA);
      kmsFake.failNextDecrypt(serviceError('ThrottlingException'));
      await expect(cipher.open(envelope, contextA)).rejects.toBeInstanceOf(CipherUnavailableError);
      await expect(cipher.open(envelope, contextA)).resolves.toBe(plaintext);
      expect(decryptCalls()).toBe(2);
    });
  });

  describe('translates KMS errors on seal, keeping the cause', () => {
    const cases: Array<[string, () => unknown, new (...args: never[]) => BrokerError]> = [
      ['AccessDeniedException', () => serviceError('AccessDeniedException'), EncryptionFailedError],
      [
        'KMSInvalidStateException',
        () => new KMSInvalidStateException({ $metadata: {}, message: 'pending deletion' }),
        EncryptionFailedError,
      ],
      [
        'DisabledException',
        () => new DisabledException({ $metadata: {}, message: 'disabled' }),
        EncryptionFailedError,
      ],
      [
        'NotFoundException',
        () => new NotFoundException({ $metadata: {}, message: 'no key' }),
        EncryptionFailedError,
      ],
      [
        'InvalidKeyUsageException',
        () => new InvalidKeyUsageException({ $metadata: {}, message: 'usage' }),
        EncryptionFailedError,
      ],
      ['ThrottlingException', () => serviceError('ThrottlingException'), CipherUnavailableError],
      [
        'LimitExceededException',
        () => new LimitExceededException({ $metadata: {}, message: 'rate' }),
        CipherUnavailableError,
      ],
      [
        'KMSInternalException',
        () => new KMSInternalException({ $metadata: {}, message: 'x' }),
        CipherUnavailableError,
      ],
      [
        'DependencyTimeoutException',
        () => new DependencyTimeoutException({ $metadata: {}, message: 'x' }),
        CipherUnavailableError,
      ],
      [
        'KeyUnavailableException',
        () => new KeyUnavailableException({ $metadata: {}, message: 'x' }),
        CipherUnavailableError,
      ],
      [
        'a network error',
        () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        CipherUnavailableError,
      ],
      [
        'a request timeout',
        () => Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
        CipherUnavailableError,
      ],
      ['an unknown server fault', () => serviceError('SomethingNew', 'server'), CipherUnavailableError],
      ['an unknown client fault', () => serviceError('UnrecognizedClientException'), EncryptionFailedError],
    ];
    for (const [label, make, expected] of cases) {
      it(`maps ${label} to ${expected.name}`, async () => {
        const thrown = make();
        kms.on(GenerateDataKeyCommand).rejects(thrown as Error);
        const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
        const plaintext = token();
        const error = await rejectionOf(cipher.seal(plaintext, contextA));
        expect(error).toBeInstanceOf(expected);
        expect(error.retryable).toBe(expected === CipherUnavailableError);
        expect(error.cause).toBe(thrown);
        expect(error.details).toMatchObject({ keyArn: KEY_ARN });
        expectNoLeak(error, [plaintext]);
      });
    }
  });

  describe('translates KMS errors on open, keeping the cause', () => {
    const cases: Array<[string, () => unknown, new (...args: never[]) => BrokerError]> = [
      [
        'InvalidCiphertextException',
        () => new InvalidCiphertextException({ $metadata: {}, message: 'x' }),
        DecryptionFailedError,
      ],
      [
        'IncorrectKeyException',
        () => new IncorrectKeyException({ $metadata: {}, message: 'x' }),
        DecryptionFailedError,
      ],
      ['AccessDeniedException', () => serviceError('AccessDeniedException'), DecryptionFailedError],
      [
        'KMSInvalidStateException',
        () => new KMSInvalidStateException({ $metadata: {}, message: 'x' }),
        DecryptionFailedError,
      ],
      [
        'DisabledException',
        () => new DisabledException({ $metadata: {}, message: 'x' }),
        DecryptionFailedError,
      ],
      [
        'NotFoundException',
        () => new NotFoundException({ $metadata: {}, message: 'x' }),
        DecryptionFailedError,
      ],
      ['ThrottlingException', () => serviceError('ThrottlingException'), CipherUnavailableError],
      [
        'LimitExceededException',
        () => new LimitExceededException({ $metadata: {}, message: 'x' }),
        CipherUnavailableError,
      ],
      [
        'KMSInternalException',
        () => new KMSInternalException({ $metadata: {}, message: 'x' }),
        CipherUnavailableError,
      ],
      [
        'DependencyTimeoutException',
        () => new DependencyTimeoutException({ $metadata: {}, message: 'x' }),
        CipherUnavailableError,
      ],
      [
        'a network error',
        () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
        CipherUnavailableError,
      ],
    ];
    for (const [label, make, expected] of cases) {
      it(`maps ${label} to ${expected.name}`, async () => {
        const kmsFake = fakeKms();
        const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
        const plaintext = token();
        const envelope = await cipher.seal(plaintext, contextA);
        const thrown = make();
        kms.on(DecryptCommand).rejects(thrown as Error);
        const error = await rejectionOf(cipher.open(envelope, contextA));
        expect(error).toBeInstanceOf(expected);
        expect(error.retryable).toBe(expected === CipherUnavailableError);
        expect(error.cause).toBe(thrown);
        expectNoLeak(error, [plaintext, ...kmsFake.dataKeys().flatMap(keyForms)]);
      });
    }
  });

  it('keeps plaintext and key bytes out of an authentication failure', async () => {
    const kmsFake = fakeKms({ ignoreContext: true });
    const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
    const plaintext = token();
    const envelope = await cipher.seal(plaintext, contextA);
    const error = await rejectionOf(cipher.open(envelope, contextB));
    expect(error.code).toBe('DECRYPT_FAILED');
    expectNoLeak(error, [plaintext, ...kmsFake.dataKeys().flatMap(keyForms)]);
  });

  it('withholds a KMS response body that failed to parse, since it holds the plaintext data key', async () => {
    const dataKey = randomBytes(32);
    const body = `{"Plaintext":"${dataKey.toString('base64')}", broken`;
    const parseError = Object.assign(new SyntaxError(`Unexpected token in JSON at ${body}`), {
      $metadata: { httpStatusCode: 200 },
      $response: { body },
    });
    Object.defineProperty(parseError, '$responseBodyText', { value: body });
    kms.on(GenerateDataKeyCommand).rejects(parseError);
    const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
    const error = await rejectionOf(cipher.seal(token(), contextA));
    expect(error).toBeInstanceOf(CipherUnavailableError);
    expect(error.cause).not.toBe(parseError);
    expectNoLeak(error, keyForms(dataKey));
  });

  it('refuses a data key of the wrong size from KMS', async () => {
    kms
      .on(GenerateDataKeyCommand)
      .resolves({ Plaintext: new Uint8Array(16), CiphertextBlob: new Uint8Array(8) });
    const cipher = makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN });
    await expect(cipher.seal(token(), contextA)).rejects.toBeInstanceOf(EncryptionFailedError);
  });

  it('refuses a negative or fractional cache size and a missing key ARN at construction', () => {
    expect(() => makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN, cacheSize: -1 })).toThrow(
      ConfigInvalidError,
    );
    expect(() => makeKmsEnvelopeCipher({ client, keyArn: KEY_ARN, cacheSize: 1.5 })).toThrow(
      ConfigInvalidError,
    );
    expect(() => makeKmsEnvelopeCipher({ client, keyArn: '' })).toThrow(ConfigInvalidError);
  });
});
