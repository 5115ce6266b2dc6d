import type { SigningJwk } from './assertion-signer.ts';
import { ConfigInvalidError } from './errors.ts';
import { DEFAULT_JWKS_MAX_AGE_SECONDS, MAX_JWKS_MAX_AGE_SECONDS } from './limits.ts';

export interface JwksDocument {
  readonly keys: readonly SigningJwk[];
}

export interface JwksResponse {
  readonly status: 200;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface JwksOptions {
  /** The key that signs now. */
  readonly current: SigningJwk;
  /**
   * Keys that signed recently (a rotation overlap). Canvas may still verify an assertion signed
   * with one, and a CDN or Canvas-side cache may still hold a JWKS without the new key.
   */
  readonly previous?: readonly SigningJwk[];
  /**
   * How long a reader may cache the document (Cache-Control max-age), default 300 s. Rotation
   * must keep the rule "publish, wait longer than max-age, then sign with the new key, keep the
   * old key published for longer than max-age after its last signature", or a cached JWKS can
   * miss the key that signed.
   */
  readonly maxAgeSeconds?: number;
}

const RSA_BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Copies only the six public members, whatever else the input carries: a private JWK passed by
 * mistake (with `d`, `p`, `q`, ...) or vendor extras can never reach the published document.
 */
const publicOnly = (jwk: SigningJwk): SigningJwk => {
  if (
    jwk.kty !== 'RSA' ||
    typeof jwk.n !== 'string' ||
    !RSA_BASE64URL.test(jwk.n) ||
    typeof jwk.e !== 'string' ||
    !RSA_BASE64URL.test(jwk.e) ||
    typeof jwk.kid !== 'string' ||
    jwk.kid === ''
  ) {
    throw new ConfigInvalidError('A JWKS key must be an RSA public key with n, e and kid.');
  }
  return { kty: 'RSA', n: jwk.n, e: jwk.e, kid: jwk.kid, alg: 'RS256', use: 'sig' };
};

/** The JWKS: the current key first, then previous keys, each kid once. */
export const buildJwksDocument = ({
  current,
  previous = [],
}: Pick<JwksOptions, 'current' | 'previous'>): JwksDocument => {
  const keys: SigningJwk[] = [];
  const seen = new Set<string>();
  for (const jwk of [current, ...previous]) {
    const clean = publicOnly(jwk);
    if (seen.has(clean.kid)) continue;
    seen.add(clean.kid);
    keys.push(clean);
  }
  return { keys };
};

/**
 * The answer of the unauthenticated, read-only `GET /.well-known/jwks.json`: public keys only,
 * cacheable by anyone (`public`), so a CDN or API Gateway cache can absorb Canvas' reads (Canvas
 * fetches a developer key's `public_jwk_url` on every token request:
 * lib/canvas/oauth/asymmetric_client_credentials_provider.rb, `get_jwk_from_url`).
 */
export const buildJwksResponse = (options: JwksOptions): JwksResponse => {
  const maxAge = options.maxAgeSeconds ?? DEFAULT_JWKS_MAX_AGE_SECONDS;
  if (!Number.isSafeInteger(maxAge) || maxAge < 0 || maxAge > MAX_JWKS_MAX_AGE_SECONDS) {
    throw new ConfigInvalidError(
      `The JWKS max-age must be a whole number of seconds from 0 to ${MAX_JWKS_MAX_AGE_SECONDS}.`,
    );
  }
  return {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'cache-control': `public, max-age=${maxAge}`,
      'x-content-type-options': 'nosniff',
    },
    body: JSON.stringify(buildJwksDocument(options)),
  };
};
