import { randomBytes, randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

/**
 * Every key the simulator signs or encrypts with, generated fresh at start: tokens from another
 * simulator run (or a real Instructure) never verify here, and nothing secret is checked in.
 */
export interface SimKeys {
  /** Signs Identity Service access tokens. */
  readonly identity: SigningKey;
  /** Signs Canvas services JWTs that are not encrypted; published at /internal/services/jwks. */
  readonly canvasSigning: SigningKey;
  readonly canvasJwks: { readonly keys: readonly JWK[] };
  /** The secret Canvas shares with Instructure services: `dir` / A256GCM encryption of services JWTs. */
  readonly servicesEncryption: Uint8Array;
  /** Signs the inner JWS of an encrypted services JWT. */
  readonly servicesInnerSigning: Uint8Array;
  /** Signs the JWS inside an InstAccess token. */
  readonly instAccessSigning: SigningKey;
  /** Stands in for the API Gateway's RSA-OAEP key that InstAccess tokens are encrypted to. */
  readonly gatewayEncryption: { readonly privateKey: CryptoKey; readonly publicKey: CryptoKey };
}

const signingKey = async (): Promise<SigningKey> => {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: false });
  return { kid: randomUUID(), privateKey, publicKey };
};

export const generateSimKeys = async (): Promise<SimKeys> => {
  const [identity, canvasSigning, instAccessSigning, gatewayEncryption] = await Promise.all([
    signingKey(),
    signingKey(),
    signingKey(),
    generateKeyPair('RSA-OAEP'),
  ]);
  const publicJwk = await exportJWK(canvasSigning.publicKey);
  return {
    identity,
    canvasSigning,
    canvasJwks: { keys: [{ ...publicJwk, kid: canvasSigning.kid, alg: 'RS256', use: 'sig' }] },
    servicesEncryption: new Uint8Array(randomBytes(32)),
    servicesInnerSigning: new Uint8Array(randomBytes(32)),
    instAccessSigning,
    gatewayEncryption,
  };
};
