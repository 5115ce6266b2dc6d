import { CompactEncrypt, compactDecrypt, SignJWT } from 'jose';
import {
  type Claims,
  compactSegments,
  numberClaim,
  protectedHeader,
  verifiedClaims,
} from './jose-helpers.ts';
import type { SimKeys } from './sim-keys.ts';

export interface ReadInstAccessToken {
  readonly claims: Claims;
  readonly iat: number;
  readonly exp: number;
}

export interface InstAccessTokens {
  /** A raw compact JWE (RSA-OAEP / A128CBC-HS256, not Base64-wrapped) around an RS256 JWS. */
  mint(claims: Claims): Promise<string>;
  /** Claims of a token this simulator run issued, expired or not; undefined otherwise. */
  read(token: string): Promise<ReadInstAccessToken | undefined>;
}

export const makeInstAccessTokens = (keys: SimKeys): InstAccessTokens => ({
  mint: async (claims) => {
    const inner = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: keys.instAccessSigning.kid, typ: 'JWT' })
      .sign(keys.instAccessSigning.privateKey);
    return new CompactEncrypt(new TextEncoder().encode(inner))
      .setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A128CBC-HS256' })
      .encrypt(keys.gatewayEncryption.publicKey);
  },
  read: async (token) => {
    if (compactSegments(token) !== 5) return undefined;
    const header = protectedHeader(token);
    if (header?.alg !== 'RSA-OAEP' || header.enc !== 'A128CBC-HS256') return undefined;
    let inner: string;
    try {
      const { plaintext } = await compactDecrypt(token, keys.gatewayEncryption.privateKey, {
        keyManagementAlgorithms: ['RSA-OAEP'],
        contentEncryptionAlgorithms: ['A128CBC-HS256'],
      });
      inner = new TextDecoder().decode(plaintext);
    } catch {
      return undefined;
    }
    const claims = await verifiedClaims(inner, keys.instAccessSigning.publicKey, 'RS256');
    if (claims?.iss !== 'instructure:inst_access') return undefined;
    const iat = numberClaim(claims, 'iat');
    const exp = numberClaim(claims, 'exp');
    if (iat === undefined || exp === undefined) return undefined;
    return { claims, iat, exp };
  },
});
