import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { rsaPublicJwk } from '../../shared/adapters/crypto/rsa-public-jwk.ts';
import {
  jwsSigningInput,
  makeAssertionSigner,
  type Rs256KeyHolder,
} from '../../shared/core/assertion-signer.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const holder = (seen: Array<{ message: Uint8Array; digest: Uint8Array }> = []): Rs256KeyHolder => ({
  keyRef: 'test-key',
  publicJwk: () => rsaPublicJwk(publicKey),
  signRs256: async (input) => {
    seen.push(input);
    return sign('sha256', input.message, privateKey);
  },
});

const claims = {
  iss: 'c',
  sub: 'c',
  aud: 'https://canvas.test/login/oauth2/token',
  iat: 1_767_225_600,
  exp: 1_767_225_900,
  jti: 'j-1',
};

describe('the assertion signer', () => {
  it('builds a compact RS256 JWS with the holder’s kid that jose verifies', async () => {
    const signer = makeAssertionSigner(holder());
    const jws = await signer.sign(claims);
    const jwk = await signer.publicJwk();
    expect(decodeProtectedHeader(jws)).toEqual({ alg: 'RS256', typ: 'JWT', kid: jwk.kid });
    const { payload } = await jwtVerify(jws, createLocalJWKSet({ keys: [jwk] }), {
      currentDate: new Date(claims.iat * 1000),
    });
    expect(payload).toEqual(claims);
  });

  it('hands the holder the signing input and its SHA-256', async () => {
    const seen: Array<{ message: Uint8Array; digest: Uint8Array }> = [];
    const jws = await makeAssertionSigner(holder(seen)).sign(claims);
    const input = jws.split('.').slice(0, 2).join('.');
    expect(Buffer.from(seen[0]?.message ?? []).toString('ascii')).toBe(input);
    expect(Buffer.from(seen[0]?.digest ?? [])).toEqual(createHash('sha256').update(input).digest());
  });

  it('encodes header and claims as unpadded base64url JSON', () => {
    const input = jwsSigningInput({ alg: 'RS256' }, { a: 'é?' });
    expect(input).not.toMatch(/[=+/]/);
    const [h, p] = input.split('.');
    expect(JSON.parse(Buffer.from(h ?? '', 'base64url').toString())).toEqual({ alg: 'RS256' });
    expect(JSON.parse(Buffer.from(p ?? '', 'base64url').toString())).toEqual({ a: 'é?' });
  });
});
