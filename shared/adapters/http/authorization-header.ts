import { SecretMalformedError } from '../../core/errors.ts';

/** Visible ASCII only: anything else would make `fetch` throw a TypeError that quotes the header value. */
const HEADER_SAFE = /^[\x21-\x7E]+$/;

/** `Authorization: Bearer <token>`; rejects a value that cannot be sent, naming the field only. */
export const bearerAuthorization = (accessToken: string, field = 'accessToken'): string => {
  if (typeof accessToken !== 'string' || !HEADER_SAFE.test(accessToken)) {
    throw new SecretMalformedError(
      `"${field}" is empty or contains characters not allowed in an HTTP header`,
      {
        details: { field },
      },
    );
  }
  return `Bearer ${accessToken}`;
};

/** `Authorization: Basic base64(id:secret)` (contract section 1). */
export const basicAuthorization = (clientId: string, clientSecret: string): string => {
  if (typeof clientId !== 'string' || clientId === '' || clientId.includes(':')) {
    throw new SecretMalformedError('"clientId" is empty or contains ":"', { details: { field: 'clientId' } });
  }
  if (typeof clientSecret !== 'string' || clientSecret === '') {
    throw new SecretMalformedError('"clientSecret" is empty', { details: { field: 'clientSecret' } });
  }
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64')}`;
};
