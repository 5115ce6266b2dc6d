import { type CryptoKey, compactVerify, decodeProtectedHeader } from 'jose';

export type Claims = Record<string, unknown>;

const COMPACT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){2}$|^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){4}$/;

/** 3 for a compact JWS, 5 for a compact JWE, 0 for anything else. */
export const compactSegments = (text: string): 0 | 3 | 5 => {
  if (text.length > 16_384 || !COMPACT.test(text)) return 0;
  return text.split('.').length === 5 ? 5 : 3;
};

export const protectedHeader = (compact: string): Record<string, unknown> | undefined => {
  try {
    return decodeProtectedHeader(compact) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

const parseClaims = (payload: Uint8Array): Claims | undefined => {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(payload));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Claims)
      : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Verifies a compact JWS and returns its claims without judging `exp`/`nbf`: callers compare
 * those with the simulator clock themselves, and introspection wants the claims of expired
 * tokens too.
 */
export const verifiedClaims = async (
  jws: string,
  key: CryptoKey | Uint8Array,
  algorithm: 'RS256' | 'HS256',
): Promise<Claims | undefined> => {
  if (compactSegments(jws) !== 3) return undefined;
  try {
    const { payload } = await compactVerify(jws, key, { algorithms: [algorithm] });
    return parseClaims(payload);
  } catch {
    return undefined;
  }
};

export const numberClaim = (claims: Claims, name: string): number | undefined => {
  const value = claims[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

export const stringClaim = (claims: Claims, name: string): string | undefined => {
  const value = claims[name];
  return typeof value === 'string' ? value : undefined;
};
