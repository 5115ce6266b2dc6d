import { CompactEncrypt, generateKeyPair, SignJWT } from 'jose';

const signingKey = new TextEncoder().encode('test-signing-key-that-is-long-enough-for-hs256');
const directKey = new Uint8Array(32).fill(7);

/** A JWS with the given claims (HS256: the clients never verify, they only read `exp`). */
export const signedJwt = (claims: Record<string, unknown>): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(signingKey);

/** A JWE shaped like Canvas' encrypted services JWT: `dir` / `A256GCM`, empty key segment. */
export const directJwe = (payload = 'opaque'): Promise<string> =>
  new CompactEncrypt(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .encrypt(directKey);

let rsaKey: ReturnType<typeof generateRsaPublicKey> | undefined;

const generateRsaPublicKey = () =>
  generateKeyPair('RSA-OAEP', { modulusLength: 2048 }).then((pair) => pair.publicKey);

/** A JWE shaped like an InstAccess token: `RSA-OAEP` / `A128CBC-HS256`. */
export const rsaJwe = async (payload = 'opaque'): Promise<string> => {
  rsaKey ??= generateRsaPublicKey();
  return new CompactEncrypt(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A128CBC-HS256' })
    .encrypt(await rsaKey);
};

/** Canvas wraps its services JWTs in standard Base64 (contract section 2). */
export const base64Wrap = (compact: string): string => Buffer.from(compact, 'latin1').toString('base64');
