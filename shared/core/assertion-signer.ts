import { createHash } from 'node:crypto';

/**
 * The public half of an RS256 signing key, exactly as it may be published in a JWKS: nothing
 * else is ever copied into one (no `d`, `p`, `q`, `dp`, `dq`, `qi`, no `x5c`).
 */
export interface SigningJwk {
  readonly kty: 'RSA';
  readonly n: string;
  readonly e: string;
  /** RFC 7638 thumbprint of the public key: the same key always gets the same kid, on every instance. */
  readonly kid: string;
  readonly alg: 'RS256';
  readonly use: 'sig';
}

/**
 * The one cryptographic operation a key holder (KMS, or a local key file) must provide:
 * RSASSA-PKCS1-v1_5 over SHA-256 of the JWS signing input, i.e. the RS256 signature bytes.
 * `digest` is that SHA-256, computed here once so a holder that signs digests (KMS `DIGEST`)
 * never needs the message, and one that signs messages can ignore it.
 */
export interface Rs256KeyHolder {
  /** Non-secret name of the key for logs and errors (a KMS key ARN, a local key fingerprint). */
  readonly keyRef: string;
  signRs256(
    input: { readonly message: Uint8Array; readonly digest: Uint8Array },
    signal?: AbortSignal,
  ): Promise<Uint8Array>;
  publicJwk(signal?: AbortSignal): Promise<SigningJwk>;
}

/**
 * Port: signs client assertions (a compact JWS, RS256) with a key whose private half the broker
 * may never hold, and names the public key that verifies them.
 */
export interface AssertionSigner {
  readonly keyRef: string;
  /** A compact JWS with header `{alg:"RS256",typ:"JWT",kid}` over `claims`. */
  sign(claims: object, signal?: AbortSignal): Promise<string>;
  publicJwk(signal?: AbortSignal): Promise<SigningJwk>;
}

const base64url = (bytes: Uint8Array | string): string =>
  (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes)).toString('base64url');

/** `BASE64URL(header) '.' BASE64URL(payload)`, the bytes RFC 7515 section 5.1 says are signed. */
export const jwsSigningInput = (header: Readonly<Record<string, unknown>>, claims: object): string =>
  `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;

/**
 * Builds the signer from a key holder. The header's `kid` comes from the holder's public key,
 * so the published JWKS and the signed assertions can never name different keys; `alg` is fixed
 * (Canvas verifies RS256 only: lib/canvas/oauth/asymmetric_client_credentials_provider.rb,
 * `decoded_jwt`, `JSON::JWT.decode(jwt, jwk, :RS256)`).
 */
export const makeAssertionSigner = (holder: Rs256KeyHolder): AssertionSigner => ({
  keyRef: holder.keyRef,
  publicJwk: (signal) => holder.publicJwk(signal),
  async sign(claims, signal) {
    const { kid } = await holder.publicJwk(signal);
    const input = jwsSigningInput({ alg: 'RS256', typ: 'JWT', kid }, claims);
    const message = Buffer.from(input, 'ascii');
    const digest = createHash('sha256').update(message).digest();
    const signature = await holder.signRs256({ message, digest }, signal);
    return `${input}.${base64url(signature)}`;
  },
});
