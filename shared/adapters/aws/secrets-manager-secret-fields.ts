import { SecretMalformedError } from '../../core/errors.ts';
import { secretFieldsOf } from '../../core/secret-fields.ts';

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
  return secretFieldsOf(parsed as Record<string, unknown>, (name) =>
    malformed(`has a field "${name}" that is not a string.`, { field: name }),
  );
};
