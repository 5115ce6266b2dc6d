import { UpstreamMalformedError } from '../../core/errors.ts';
import { MAX_TOKEN_LIFETIME_SECONDS } from '../../core/limits.ts';
import type { IssuedToken } from '../../core/upstream-client.ts';
import type { UpstreamResponse } from './upstream-response.ts';

/** Canvas services JWTs and InstAccess tokens live `exp = iat + 3600` (contract sections 2 and 4). */
export const CANVAS_TOKEN_LIFETIME_MS = 3600 * 1000;

/**
 * The longest lifetime any kind's token is believed to have. Instructure issues hour-long tokens
 * (contract sections 1-4); a day leaves room for a configured Identity Service, and anything longer
 * is a unit mistake (`expires_in` in milliseconds) or garbage (`1e13`, past Date's range, which
 * made every later answer a 500). Believing it would serve a token for days after upstream stopped
 * honouring it, so it is refused as malformed: failure memory, a 502 then 503s, never a stored
 * token whose expiry cannot be trusted.
 */
export const MAX_UPSTREAM_LIFETIME_MS = MAX_TOKEN_LIFETIME_SECONDS * 1000;

/**
 * Builds the IssuedToken a client returns, refusing one that is already expired on arrival (an `exp`
 * in the past, a non-positive `expires_in`): serving it would only fail at the caller; and one whose
 * lifetime exceeds MAX_UPSTREAM_LIFETIME_MS. Clients pass the earlier of a readable JWS `exp` and
 * the declared lifetime, so a readable `exp` within bounds always decides.
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
  if (token.expiresAt - token.issuedAt > MAX_UPSTREAM_LIFETIME_MS) {
    throw new UpstreamMalformedError(`${operation}: the issued token's lifetime exceeds 24 hours`, {
      upstreamStatus: response.status,
      details: { operation, lifetimeSeconds: Math.round((token.expiresAt - token.issuedAt) / 1000) },
    });
  }
  return token;
};
