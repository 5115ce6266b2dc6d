/**
 * What the broker accepts and echoes as a request id (API Gateway's, Lambda's, or its own UUID):
 * printable ASCII without spaces, bounded, so a request id is safe to log and to put in a body or
 * header. The edge takes ids only if they match; the client trusts only ids that match.
 */
export const REQUEST_ID_PATTERN = /^[\x21-\x7E]{1,128}$/;

/** The first candidate that is a well-formed request id. */
export const firstRequestId = (...candidates: readonly unknown[]): string | undefined =>
  candidates.find((id): id is string => typeof id === 'string' && REQUEST_ID_PATTERN.test(id));
