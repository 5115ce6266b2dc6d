import { decodeJwt, decodeProtectedHeader } from 'jose';

/**
 * What the broker can see of a compact JOSE string without any key: a JWS's claims are readable
 * (base64url JSON), a JWE's are not.
 */
export type CompactJose =
  | { readonly form: 'jws'; readonly alg: string; readonly exp: number | undefined }
  | { readonly form: 'jwe'; readonly alg: string; readonly enc: string };

const SEGMENT = /^[A-Za-z0-9_-]*$/;

/** Returns undefined for anything that is not a well-formed compact JWS (3 segments) or JWE (5). */
export const inspectCompactJose = (value: string): CompactJose | undefined => {
  const segments = value.split('.');
  if (segments.length !== 3 && segments.length !== 5) return undefined;
  if (!segments.every((segment) => SEGMENT.test(segment))) return undefined;
  try {
    const header = decodeProtectedHeader(value);
    if (typeof header.alg !== 'string') return undefined;
    if (segments.length === 5) {
      // A JWE always names its content encryption and carries a ciphertext and tag.
      if (typeof header.enc !== 'string' || segments[3] === '' || segments[4] === '') return undefined;
      return { form: 'jwe', alg: header.alg, enc: header.enc };
    }
    const { exp } = decodeJwt(value);
    return {
      form: 'jws',
      alg: header.alg,
      exp: typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined,
    };
  } catch {
    return undefined;
  }
};
