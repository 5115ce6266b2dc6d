import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { rsaPublicJwk } from '../../../shared/adapters/crypto/rsa-public-jwk.ts';

describe('the RSA public JWK', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it('gives the same public JWK and RFC 7638 kid from DER, the public key and the private key', async () => {
    const der = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    const fromDer = await rsaPublicJwk(der);
    expect(await rsaPublicJwk(publicKey)).toEqual(fromDer);
    expect(await rsaPublicJwk(privateKey)).toEqual(fromDer);
    expect(fromDer.kid).toBe(await calculateJwkThumbprint({ kty: 'RSA', n: fromDer.n, e: fromDer.e }));
    expect(Object.keys(fromDer).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });

  it('refuses RSA sizes other than 2048 and 3072, and other key types', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await expect(rsaPublicJwk(small.publicKey)).rejects.toThrow(/1024/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expect(rsaPublicJwk(ec.publicKey)).rejects.toThrow(/RSA/);
    await expect(rsaPublicJwk(new Uint8Array([0x30, 0x00]))).rejects.toThrow();
  });
});
