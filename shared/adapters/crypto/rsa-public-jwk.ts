import { createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { SigningJwk } from '../../core/assertion-signer.ts';

/** RSA sizes the broker signs with: 2048 and 3072 bits (what KMS offers below 4096, and RS256's floor). */
export const RSA_SIGNING_BITS: ReadonlySet<number> = new Set([2048, 3072]);

/**
 * The publishable JWK of an RSA public key (DER SubjectPublicKeyInfo, as KMS GetPublicKey returns
 * it, or a KeyObject): only `kty`, `n`, `e`, with `kid` the RFC 7638 SHA-256 thumbprint, so every
 * instance derives the same kid from the same key with no shared state. Throws a plain Error
 * (callers wrap it) for anything that is not an RSA key of an accepted size.
 */
export const rsaPublicJwk = async (key: Uint8Array | KeyObject): Promise<SigningJwk> => {
  const publicKey =
    key instanceof Uint8Array ? createPublicKey({ key: Buffer.from(key), format: 'der', type: 'spki' }) : key;
  if (publicKey.type !== 'public' && publicKey.type !== 'private') throw new Error('not an asymmetric key');
  // From a private KeyObject, derive the public one: its export can then never carry `d`.
  const pub = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  if (pub.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key');
  const bits = pub.asymmetricKeyDetails?.modulusLength;
  if (bits === undefined || !RSA_SIGNING_BITS.has(bits))
    throw new Error(`unsupported RSA size ${bits ?? '?'}`);
  const jwk = pub.export({ format: 'jwk' });
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw new Error('RSA key without n/e');
  const kid = await calculateJwkThumbprint({ kty: 'RSA', n: jwk.n, e: jwk.e }, 'sha256');
  return { kty: 'RSA', n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' };
};
