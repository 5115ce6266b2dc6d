import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { numberClaim, stringClaim, verifiedClaims } from './jose-helpers.ts';
import type { SimKeys } from './sim-keys.ts';

export interface IdentityClaims {
  readonly sub: string;
  readonly scope: string;
  readonly iat: number;
  readonly exp: number;
}

export interface IdentityTokens {
  /** An RS256 JWS whose `exp` a client can read without verifying (contract section 1). */
  mint(claims: IdentityClaims): Promise<string>;
  /** Claims of a token this simulator run signed, expired or not; undefined otherwise. */
  read(token: string): Promise<IdentityClaims | undefined>;
}

export const makeIdentityTokens = (keys: SimKeys): IdentityTokens => ({
  mint: (claims) =>
    new SignJWT({ scope: claims.scope })
      .setProtectedHeader({ alg: 'RS256', kid: keys.identity.kid, typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuedAt(claims.iat)
      .setExpirationTime(claims.exp)
      .setJti(randomUUID())
      .sign(keys.identity.privateKey),
  read: async (token) => {
    const claims = await verifiedClaims(token, keys.identity.publicKey, 'RS256');
    if (!claims) return undefined;
    const sub = stringClaim(claims, 'sub');
    const scope = stringClaim(claims, 'scope');
    const iat = numberClaim(claims, 'iat');
    const exp = numberClaim(claims, 'exp');
    if (sub === undefined || scope === undefined || iat === undefined || exp === undefined) return undefined;
    return { sub, scope, iat, exp };
  },
});
