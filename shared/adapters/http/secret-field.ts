import { SecretMalformedError } from '../../core/errors.ts';
import type { SecretValue } from '../../core/secret-source.ts';

/** A required field of a secret; a missing or empty one is named in the error, its value never. */
export const secretField = (secret: SecretValue, field: string, credentialId: string): string => {
  const value = secret.fields[field];
  if (typeof value !== 'string' || value === '') {
    throw new SecretMalformedError(`The secret of credential "${credentialId}" has no "${field}" field`, {
      details: { credentialId, field },
    });
  }
  return value;
};
