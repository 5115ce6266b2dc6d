import { constants, createHash, generateKeyPairSync, type KeyObject, privateEncrypt } from 'node:crypto';
import {
  DisabledException,
  GetPublicKeyCommand,
  type GetPublicKeyCommandOutput,
  KMSClient,
  KMSInternalException,
  KMSInvalidStateException,
  KMSServiceException,
  NotFoundException,
  SignCommand,
  type SignCommandInput,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { makeKmsAssertionSigner } from '../../../shared/adapters/aws/kms-assertion-signer.ts';
import {
  type BrokerError,
  CipherUnavailableError,
  ConfigInvalidError,
  SigningFailedError,
} from '../../../shared/core/errors.ts';
import { buildJwksDocument } from '../../../shared/core/jwks-document.ts';

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-acbdcedf0011';
const kms = mockClient(KMSClient);
const client = new KMSClient({ region: 'us-east-1' });

// DER prefix of the PKCS#1 v1.5 DigestInfo for SHA-256 (RFC 8017 section 9.2, note 1).
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

const keyPair = (bits: number) =>
  generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
const rsa2048 = keyPair(2048);
const rsa3072 = keyPair(3072);

/**
 * KMS at the SDK seam, backed by a real RSA key made at test time: GetPublicKey answers the DER
 * SubjectPublicKeyInfo, Sign with `DIGEST` does what KMS does (DigestInfo + PKCS#1 v1.5 over the
 * given digest), so the signature is exactly what the real service would return.
 */
const fakeKms = (
  { privateKey, publicKey }: { privateKey: KeyObject; publicKey: KeyObject },
  overrides: Partial<GetPublicKeyCommandOutput> = {},
) => {
  kms.on(GetPublicKeyCommand).resolves({
    KeyId: KEY_ARN,
    PublicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    KeySpec: publicKey.asymmetricKeyDetails?.modulusLength === 3072 ? 'RSA_3072' : 'RSA_2048',
    KeyUsage: 'SIGN_VERIFY',
    SigningAlgorithms: ['RSASSA_PSS_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_256'],
    ...overrides,
  });
  kms.on(SignCommand).callsFake((input: SignCommandInput) => {
    const digest = Buffer.from(input.Message ?? new Uint8Array());
    if (input.MessageType !== 'DIGEST' || digest.length !== 32)
      throw new Error('test KMS: expected a SHA-256 digest');
    const signature = privateEncrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
      Buffer.concat([SHA256_DIGEST_INFO, digest]),
    );
    return { KeyId: KEY_ARN, Signature: new Uint8Array(signature), SigningAlgorithm: input.SigningAlgorithm };
  });
};

const claims = {
  iss: '10000000000042',
  sub: '10000000000042',
  aud: 'https://canvas.example.edu/login/oauth2/token',
  iat: 1_767_225_600,
  exp: 1_767_225_900,
  jti: 'c8a3b1de-35b4-4b25-9b0f-4c2b1f6e9a01',
};

const rejectionOf = async (promise: Promise<unknown>): Promise<BrokerError> => {
  try {
    await promise;
  } catch (error) {
    return error as BrokerError;
  }
  throw new Error('expected a rejection');
};

const serviceError = (name: string, fault: 'client' | 'server' = 'client') =>
  new KMSServiceException({ name, $fault: fault, $metadata: {}, message: `${name} from test` });

beforeEach(() => kms.reset());
afterAll(() => kms.restore());

describe('the KMS assertion signer', () => {
  it('signs with Sign, MessageType DIGEST over the SHA-256 of the signing input, RSASSA_PKCS1_V1_5_SHA_256', async () => {
    fakeKms(rsa2048);
    const signer = makeKmsAssertionSigner({ client, keyArn: KEY_ARN });
    const jws = await signer.sign(claims);

    const [header, payload] = jws.split('.');
    const calls = kms.commandCalls(SignCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.KeyId).toBe(KEY_ARN);
    expect(input?.MessageType).toBe('DIGEST');
    expect(input?.SigningAlgorithm).toBe('RSASSA_PKCS1_V1_5_SHA_256');
    const expectedDigest = createHash('sha256').update(`${header}.${payload}`, 'ascii').digest();
    expect(Buffer.from(input?.Message ?? new Uint8Array())).toEqual(expectedDigest);
    expect(kms.commandCalls(GetPublicKeyCommand)[0]?.args[0].input).toEqual({ KeyId: KEY_ARN });
  });

  it('produces a JWT that jose verifies against the published JWKS, with the kid the JWKS names', async () => {
    fakeKms(rsa2048);
    const signer = makeKmsAssertionSigner({ client, keyArn: KEY_ARN });
    const jws = await signer.sign(claims);
    const jwks = buildJwksDocument({ current: await signer.publicJwk() });

    const { payload, protectedHeader } = await jwtVerify(jws, createLocalJWKSet({ keys: [...jwks.keys] }), {
      algorithms: ['RS256'],
      currentDate: new Date(claims.iat * 1000),
    });
    expect(payload).toEqual(claims);
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: jwks.keys[0]?.kid });
  });

  it('derives the kid as the RFC 7638 thumbprint of the KMS public key', async () => {
    fakeKms(rsa2048);
    const jwk = await makeKmsAssertionSigner({ client, keyArn: KEY_ARN }).publicJwk();
    const exported = rsa2048.publicKey.export({ format: 'jwk' });
    expect(jwk.kid).toBe(
      await calculateJwkThumbprint({ kty: 'RSA', n: exported.n, e: exported.e }, 'sha256'),
    );
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });

  it('signs with an RSA 3072 key too', async () => {
    fakeKms(rsa3072);
    const signer = makeKmsAssertionSigner({ client, keyArn: KEY_ARN });
    const jws = await signer.sign(claims);
    const jwks = createLocalJWKSet({ keys: [await signer.publicJwk()] });
    await expect(jwtVerify(jws, jwks, { currentDate: new Date(claims.iat * 1000) })).resolves.toBeDefined();
    expect(Buffer.from(jws.split('.')[2] ?? '', 'base64url')).toHaveLength(384);
  });

  it('reads the public key once and reuses it for every signature', async () => {
    fakeKms(rsa2048);
    const signer = makeKmsAssertionSigner({ client, keyArn: KEY_ARN });
    await Promise.all([signer.sign(claims), signer.sign(claims), signer.publicJwk()]);
    await signer.sign(claims);
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
    expect(kms.commandCalls(SignCommand)).toHaveLength(3);
  });

  it('does not remember a failed public key read: the next call asks KMS again', async () => {
    fakeKms(rsa2048);
    kms.on(GetPublicKeyCommand).rejectsOnce(new KMSInternalException({ $metadata: {}, message: 'boom' }));
    const signer = makeKmsAssertionSigner({ client, keyArn: KEY_ARN });
    expect(await rejectionOf(signer.sign(claims))).toBeInstanceOf(CipherUnavailableError);
    // rejectsOnce replaced the resolver: put it back.
    fakeKms(rsa2048);
    await expect(signer.sign(claims)).resolves.toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it.each([
    ['ThrottlingException', serviceError('ThrottlingException')],
    ['KMSInternalException', new KMSInternalException({ $metadata: {}, message: 'internal' })],
    ['DependencyTimeoutException', serviceError('DependencyTimeoutException', 'server')],
    ['KeyUnavailableException', serviceError('KeyUnavailableException', 'server')],
    ['an unknown server fault', serviceError('SomethingNew', 'server')],
  ])('translates %s from Sign into a retryable CIPHER_UNAVAILABLE', async (_name, failure) => {
    fakeKms(rsa2048);
    kms.on(SignCommand).rejects(failure);
    const error = await rejectionOf(makeKmsAssertionSigner({ client, keyArn: KEY_ARN }).sign(claims));
    expect(error).toBeInstanceOf(CipherUnavailableError);
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(failure);
  });

  it.each([
    ['DisabledException', new DisabledException({ $metadata: {}, message: 'disabled' }), 'disabled'],
    ['NotFoundException', new NotFoundException({ $metadata: {}, message: 'nope' }), 'not found'],
    ['AccessDeniedException', serviceError('AccessDeniedException'), 'access denied'],
    [
      'KMSInvalidStateException',
      new KMSInvalidStateException({ $metadata: {}, message: 'pending' }),
      'usable state',
    ],
    ['InvalidKeyUsageException', serviceError('InvalidKeyUsageException'), 'SIGN_VERIFY'],
    ['another client fault', serviceError('ValidationException'), 'ValidationException'],
  ])(
    'translates %s into a clear, non-retryable SIGNING_FAILED naming the key',
    async (_name, failure, why) => {
      fakeKms(rsa2048);
      kms.on(SignCommand).rejects(failure);
      const error = await rejectionOf(makeKmsAssertionSigner({ client, keyArn: KEY_ARN }).sign(claims));
      expect(error).toBeInstanceOf(SigningFailedError);
      expect(error.code).toBe('SIGNING_FAILED');
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(KEY_ARN);
      expect(error.message).toContain(why);
    },
  );

  it('translates a disabled key on GetPublicKey the same way, before any Sign', async () => {
    kms.on(GetPublicKeyCommand).rejects(new DisabledException({ $metadata: {}, message: 'disabled' }));
    const error = await rejectionOf(makeKmsAssertionSigner({ client, keyArn: KEY_ARN }).sign(claims));
    expect(error).toBeInstanceOf(SigningFailedError);
    expect(kms.commandCalls(SignCommand)).toHaveLength(0);
  });

  it.each([
    ['an encryption key', { KeyUsage: 'ENCRYPT_DECRYPT' as const }, 'SIGN_VERIFY'],
    ['an RSA 4096 key', { KeySpec: 'RSA_4096' as const }, 'RSA_4096'],
    ['an elliptic-curve key', { KeySpec: 'ECC_NIST_P256' as const }, 'ECC_NIST_P256'],
    [
      'a key without PKCS#1 v1.5',
      { SigningAlgorithms: ['RSASSA_PSS_SHA_256' as const] },
      'RSASSA_PKCS1_V1_5_SHA_256',
    ],
    ['no key bytes', { PublicKey: new Uint8Array() }, 'no key'],
    ['bytes that are not a public key', { PublicKey: new Uint8Array([1, 2, 3]) }, 'not a usable RSA key'],
  ])('refuses %s with SIGNING_FAILED and never calls Sign', async (_name, overrides, why) => {
    fakeKms(rsa2048, overrides);
    const error = await rejectionOf(makeKmsAssertionSigner({ client, keyArn: KEY_ARN }).sign(claims));
    expect(error).toBeInstanceOf(SigningFailedError);
    expect(error.message).toContain(why);
    expect(kms.commandCalls(SignCommand)).toHaveLength(0);
  });

  it('refuses a signature that is not as long as the modulus', async () => {
    fakeKms(rsa2048);
    kms.on(SignCommand).resolves({ KeyId: KEY_ARN, Signature: new Uint8Array(255) });
    const error = await rejectionOf(makeKmsAssertionSigner({ client, keyArn: KEY_ARN }).sign(claims));
    expect(error).toBeInstanceOf(SigningFailedError);
  });

  it('rejects with the caller’s own reason when the caller aborts', async () => {
    fakeKms(rsa2048);
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(
      makeKmsAssertionSigner({ client, keyArn: KEY_ARN }).sign(claims, controller.signal),
    ).rejects.toBe(reason);
  });

  it('puts the kid in the header so Canvas can pick the key from a JWKS URL', async () => {
    fakeKms(rsa2048);
    const signer = makeKmsAssertionSigner({ client, keyArn: KEY_ARN });
    expect(decodeProtectedHeader(await signer.sign(claims)).kid).toBe((await signer.publicJwk()).kid);
  });

  it('requires a key ARN', () => {
    expect(() => makeKmsAssertionSigner({ client, keyArn: '' })).toThrow(ConfigInvalidError);
  });
});
