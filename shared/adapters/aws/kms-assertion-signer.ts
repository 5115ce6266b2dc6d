import {
  GetPublicKeyCommand,
  type GetPublicKeyCommandOutput,
  type KMSClient,
  SignCommand,
} from '@aws-sdk/client-kms';
import { type AssertionSigner, makeAssertionSigner, type SigningJwk } from '../../core/assertion-signer.ts';
import { ConfigInvalidError, SigningFailedError } from '../../core/errors.ts';
import { rsaPublicJwk } from '../crypto/rsa-public-jwk.ts';
import { translateKmsSignError } from './kms-sign-error-translation.ts';

export interface KmsAssertionSignerDeps {
  readonly client: KMSClient;
  /** The asymmetric KMS key (RSA_2048 or RSA_3072, usage SIGN_VERIFY); its private half never leaves KMS. */
  readonly keyArn: string;
}

const ALGORITHM = 'RSASSA_PKCS1_V1_5_SHA_256';
const KEY_SPECS: ReadonlySet<string> = new Set(['RSA_2048', 'RSA_3072']);

/**
 * RS256 client assertions signed by AWS KMS.
 *
 * `MessageType: 'DIGEST'`: the SHA-256 of the JWS signing input is computed here and only those 32
 * bytes go to KMS, which wraps them in the PKCS#1 v1.5 DigestInfo and signs. RAW would work for
 * today's ~500-byte assertions, but KMS refuses RAW messages over 4096 bytes, so a longer audience
 * or extra claims would turn into a signing outage; a digest is always 32 bytes, and the claims
 * themselves never travel to KMS (nor into its request logs).
 *
 * The public key is read once per signer (GetPublicKey) and kept: a KMS key's key material never
 * changes, and rotating the signing key means a new key, i.e. a new signer (and a new kid). A
 * failed read is not remembered, so the next call asks again.
 */
export const makeKmsAssertionSigner = ({ client, keyArn }: KmsAssertionSignerDeps): AssertionSigner => {
  if (typeof keyArn !== 'string' || keyArn === '') {
    throw new ConfigInvalidError('A KMS key ARN is required for the assertion signer.');
  }
  let publicKey: Promise<{ readonly jwk: SigningJwk; readonly bytes: number }> | undefined;

  const unusable = (why: string) =>
    new SigningFailedError(`The KMS key ${keyArn} cannot sign RS256 assertions: ${why}.`, {
      details: { keyArn },
    });

  const readPublicKey = async (signal?: AbortSignal) => {
    let out: GetPublicKeyCommandOutput;
    try {
      out = await client.send(new GetPublicKeyCommand({ KeyId: keyArn }), { abortSignal: signal });
    } catch (error) {
      throw translateKmsSignError(error, 'get-public-key', keyArn);
    }
    if (out.KeyUsage !== 'SIGN_VERIFY')
      throw unusable(`key usage is ${out.KeyUsage ?? 'unknown'}, not SIGN_VERIFY`);
    if (out.KeySpec === undefined || !KEY_SPECS.has(out.KeySpec)) {
      throw unusable(`key spec is ${out.KeySpec ?? 'unknown'}, not RSA_2048 or RSA_3072`);
    }
    if (!out.SigningAlgorithms?.includes(ALGORITHM)) throw unusable(`the key does not offer ${ALGORITHM}`);
    if (!out.PublicKey || out.PublicKey.length === 0) throw unusable('GetPublicKey returned no key');
    try {
      const jwk = await rsaPublicJwk(out.PublicKey);
      return { jwk, bytes: Buffer.from(jwk.n, 'base64url').length };
    } catch (error) {
      throw new SigningFailedError(`The public key of ${keyArn} is not a usable RSA key.`, {
        cause: error,
        details: { keyArn },
      });
    }
  };

  const cachedPublicKey = (signal?: AbortSignal) => {
    if (!publicKey) {
      // Not tied to one caller's signal: an abort must not poison the shared read for the others.
      const read = readPublicKey();
      publicKey = read;
      read.catch(() => {
        if (publicKey === read) publicKey = undefined;
      });
    }
    const shared = publicKey;
    if (!signal) return shared;
    return new Promise<Awaited<typeof shared>>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };

  return makeAssertionSigner({
    keyRef: keyArn,
    publicJwk: async (signal) => (await cachedPublicKey(signal)).jwk,
    async signRs256({ digest }, signal) {
      const { bytes } = await cachedPublicKey(signal);
      let signature: Uint8Array | undefined;
      try {
        const out = await client.send(
          new SignCommand({
            KeyId: keyArn,
            Message: digest,
            MessageType: 'DIGEST',
            SigningAlgorithm: ALGORITHM,
          }),
          { abortSignal: signal },
        );
        signature = out.Signature;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw translateKmsSignError(error, 'sign', keyArn);
      }
      // A PKCS#1 v1.5 signature is exactly as long as the modulus; anything else cannot verify.
      if (!signature || signature.length !== bytes) {
        throw new SigningFailedError(`KMS returned a signature of the wrong size for ${keyArn}.`, {
          details: { keyArn },
        });
      }
      return signature;
    },
  });
};
