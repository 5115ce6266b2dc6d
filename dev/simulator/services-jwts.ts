import { CompactEncrypt, compactDecrypt, SignJWT } from 'jose';
import {
  type Claims,
  compactSegments,
  numberClaim,
  protectedHeader,
  verifiedClaims,
} from './jose-helpers.ts';
import type { SimKeys } from './sim-keys.ts';

export interface ReadServicesJwt {
  readonly claims: Claims;
  readonly encrypted: boolean;
  readonly iat: number;
  readonly exp: number;
}

export interface ServicesJwts {
  /**
   * The `token` value of `/api/v1/jwts`: standard Base64 of a compact JOSE string. Encrypted
   * means a `dir`/A256GCM JWE around an HS256 JWS (what Canvas shares with Instructure services);
   * otherwise an RS256 JWS verifiable with the published JWKS.
   */
  mint(claims: Claims, options: { readonly encrypted: boolean }): Promise<string>;
  /** Decodes a `token` value this simulator run issued, expired or not; undefined otherwise. */
  read(wrapped: string): Promise<ReadServicesJwt | undefined>;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export const makeServicesJwts = (keys: SimKeys): ServicesJwts => {
  const signInner = (claims: Claims) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(keys.servicesInnerSigning);

  const mint = async (claims: Claims, options: { readonly encrypted: boolean }): Promise<string> => {
    let compact: string;
    if (options.encrypted) {
      const inner = await signInner(claims);
      compact = await new CompactEncrypt(new TextEncoder().encode(inner))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .encrypt(keys.servicesEncryption);
    } else {
      compact = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: keys.canvasSigning.kid, typ: 'JWT' })
        .sign(keys.canvasSigning.privateKey);
    }
    return Buffer.from(compact, 'utf8').toString('base64');
  };

  const decrypt = async (jwe: string): Promise<Claims | undefined> => {
    const header = protectedHeader(jwe);
    if (header?.alg !== 'dir' || header.enc !== 'A256GCM') return undefined;
    try {
      const { plaintext } = await compactDecrypt(jwe, keys.servicesEncryption, {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      return await verifiedClaims(new TextDecoder().decode(plaintext), keys.servicesInnerSigning, 'HS256');
    } catch {
      return undefined;
    }
  };

  const read = async (wrapped: string): Promise<ReadServicesJwt | undefined> => {
    if (wrapped.length > 16_384 || !BASE64.test(wrapped)) return undefined;
    const compact = Buffer.from(wrapped, 'base64').toString('utf8');
    const segments = compactSegments(compact);
    let claims: Claims | undefined;
    if (segments === 5) claims = await decrypt(compact);
    else if (segments === 3) claims = await verifiedClaims(compact, keys.canvasSigning.publicKey, 'RS256');
    if (!claims) return undefined;
    const iat = numberClaim(claims, 'iat');
    const exp = numberClaim(claims, 'exp');
    if (iat === undefined || exp === undefined) return undefined;
    return { claims, encrypted: segments === 5, iat, exp };
  };

  return { mint, read };
};
