import { SecretMalformedError } from '../../core/errors.ts';
import { safeText } from '../../core/safe-text.ts';

// An integer beyond 2^53 was already rounded by JSON.parse: stringifying it would hand upstream a
// different id than the one stored, so it must be stored as a string instead.
const isInexactInteger = (value: number): boolean => Number.isInteger(value) && !Number.isSafeInteger(value);

export interface RawSecretPayload {
  readonly SecretString?: string;
  readonly SecretBinary?: Uint8Array;
}

/**
 * Reads a GetSecretValue payload as a flat `{ field: string }` object. Errors name the secret id
 * and at most a field NAME: never a value, and never the JSON parser's message or the parser error
 * as `cause`, because V8's SyntaxError quotes the text it failed on, which is the secret.
 */
export const parseSecretFields = (secretId: string, payload: RawSecretPayload): Record<string, string> => {
  const malformed = (why: string, details: Record<string, string> = {}) =>
    new SecretMalformedError(`Secret ${secretId} ${why}`, { details: { secretId, ...details } });

  if (payload.SecretString === undefined) {
    throw payload.SecretBinary === undefined
      ? malformed('has no value.')
      : malformed('is stored as binary; the broker needs a JSON object in SecretString.');
  }
  if (payload.SecretString.trim() === '') {
    throw malformed('is empty; the broker needs a JSON object of string fields.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.SecretString);
  } catch {
    throw malformed('is not valid JSON; the broker needs a JSON object of string fields.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw malformed('is not a JSON object; the broker needs a JSON object of string fields.');
  }
  const entries: Array<[string, string]> = [];
  for (const [field, value] of Object.entries(parsed)) {
    if (typeof value === 'string') {
      entries.push([field, value]);
    } else if (typeof value === 'number' && Number.isFinite(value) && !isInexactInteger(value)) {
      // Hand-edited secrets often hold ids as numbers (`"clientId": 170000000000123`).
      entries.push([field, String(value)]);
    } else {
      const name = safeText(field, 64);
      throw malformed(`has a field "${name}" that is not a string.`, { field: name });
    }
  }
  // fromEntries defines own properties, so a field called "__proto__" cannot touch the prototype.
  return Object.fromEntries(entries);
};
