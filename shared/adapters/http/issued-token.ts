import { UpstreamMalformedError } from '../../core/errors.ts';
import type { IssuedToken } from '../../core/upstream-client.ts';
import type { UpstreamResponse } from './upstream-response.ts';

/** Canvas services JWTs and InstAccess tokens live `exp = iat + 3600` (contract sections 2 and 4). */
export const CANVAS_TOKEN_LIFETIME_MS = 3600 * 1000;

/**
 * Builds the IssuedToken a client returns, refusing one that is already expired on arrival (an `exp`
 * in the past, a non-positive `expires_in`): serving it would only fail at the caller.
 */
export const issuedToken = (
  token: IssuedToken,
  response: UpstreamResponse,
  operation: string,
): IssuedToken => {
  if (!Number.isFinite(token.expiresAt) || token.expiresAt <= token.issuedAt) {
    throw new UpstreamMalformedError(`${operation}: the issued token is already expired`, {
      upstreamStatus: response.status,
      details: { operation },
    });
  }
  return token;
};
