import { CREDENTIAL_ID_PATTERN } from '../core/credential.ts';
import { BadRequestError } from '../core/errors.ts';
import { MAX_MIN_TTL_SECONDS, TOKEN_SHA256_PATTERN } from '../core/limits.ts';
import { PayloadTooLargeError } from './http-transport-errors.ts';

/**
 * Validation of the fields callers send, shared by the API and the direct-invoke entry so both
 * accept exactly the same requests. Messages name the field and never echo more than a short,
 * printable excerpt of what was sent.
 */

const MAX_PARAMS_JSON_LENGTH = 8_192;

const excerpt = (text: string): string => {
  const printable = text.replace(/[^\x20-\x7E]/g, '?');
  return JSON.stringify(printable.length > 40 ? `${printable.slice(0, 40)}...` : printable);
};

/** Rejects fields outside `allowed`: a misspelt `minTTLSeconds` must fail, not be silently ignored. */
export const assertOnlyFields = (
  input: Readonly<Record<string, unknown>>,
  allowed: readonly string[],
): void => {
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) {
      const hint = allowed.length === 0 ? 'this request takes no fields' : `allowed: ${allowed.join(', ')}`;
      throw new BadRequestError(`Unknown field ${excerpt(key)} (${hint}).`);
    }
  }
};

export const readCredentialId = (value: unknown): string => {
  if (typeof value !== 'string' || !CREDENTIAL_ID_PATTERN.test(value)) {
    throw new BadRequestError('credentialId must be 1-63 lower-case letters, digits or dashes.');
  }
  return value;
};

export const readMinTtlSeconds = (value: unknown): number | undefined => {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_MIN_TTL_SECONDS) {
    throw new BadRequestError(`minTtlSeconds must be an integer from 0 to ${MAX_MIN_TTL_SECONDS}.`);
  }
  return value as number;
};

/** Parameters stay raw here: the core validates them against the credential's callerParams. */
export const readParams = (value: unknown): Readonly<Record<string, unknown>> | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestError('params must be a JSON object.');
  }
  // The API body cap bounds this already; a direct invoke has only Lambda's 6 MB limit.
  let length: number;
  try {
    length = JSON.stringify(value).length;
  } catch {
    throw new BadRequestError('params must be plain JSON.');
  }
  if (length > MAX_PARAMS_JSON_LENGTH) throw new PayloadTooLargeError('params is too large.');
  return value as Readonly<Record<string, unknown>>;
};

/**
 * Invalidation takes proof of possession: the full SHA-256 (hex) of the rejected token. A
 * fingerprint is not enough, since listings and logs carry fingerprints; a body with one gets this
 * 400 (README, "Security"), never a silent no-op.
 */
export const readTokenSha256 = (body: Readonly<Record<string, unknown>>): string => {
  if (body.tokenSha256 === undefined && body.fingerprint !== undefined) {
    throw new BadRequestError(
      'Invalidation needs proof of possession: send tokenSha256, the SHA-256 (64 lower-case hex) of the rejected token; a fingerprint is not accepted.',
    );
  }
  const value = body.tokenSha256;
  if (typeof value !== 'string' || !TOKEN_SHA256_PATTERN.test(value)) {
    throw new BadRequestError(
      'tokenSha256 must be the SHA-256 of the rejected token, 64 lower-case hex characters.',
    );
  }
  return value;
};
