const STANDARD_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Canvas services JWTs are the standard Base64 of a compact JOSE string (contract section 2).
 * Returns the inner compact string, or undefined when the value is not that. Line breaks are
 * tolerated because Ruby's `Base64.encode64` inserts them; the caller keeps the original string,
 * since refresh needs it byte for byte.
 */
export const unwrapCanvasJwt = (token: string): string | undefined => {
  const compact = token.replace(/[\r\n]/g, '');
  if (compact.length === 0 || compact.length % 4 === 1 || !STANDARD_BASE64.test(compact)) return undefined;
  const decoded = Buffer.from(compact, 'base64').toString('latin1');
  return /^[\x21-\x7E]+$/.test(decoded) ? decoded : undefined;
};
