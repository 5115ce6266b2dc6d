import { UpstreamMalformedError } from '../../core/errors.ts';
import type { IssuedToken } from '../../core/upstream-client.ts';
import { inspectCompactJose } from './compact-jose.ts';
import { CANVAS_TOKEN_LIFETIME_MS, issuedToken } from './issued-token.ts';
import { responseAnchor } from './response-anchor.ts';
import { unwrapCanvasJwt } from './unwrap-canvas-jwt.ts';
import type { UpstreamResponse } from './upstream-response.ts';

/** `/api/v1/jwts/refresh` accepts a token while `now < exp + 6 h` (contract section 3). */
export const CANVAS_JWT_REFRESH_WINDOW_MS = 6 * 3600 * 1000;

/**
 * The lifetime of a services JWT Canvas just returned. Encrypted (JWE, the default): unreadable, so
 * `iat + 3600` from the conservative anchor, refreshable for 6 h more. Signed-only (JWS, from
 * `canvas_audience=false` or `audience`): `exp` is readable and wins if earlier; Canvas cannot
 * refresh it, so no refresh window.
 */
export const canvasJwtIssuedToken = (
  token: string,
  response: UpstreamResponse,
  operation: string,
): IssuedToken => {
  const compact = unwrapCanvasJwt(token);
  const jose = compact === undefined ? undefined : inspectCompactJose(compact);
  if (jose === undefined) {
    throw new UpstreamMalformedError(`${operation}: token is not Base64 of a compact JWS or JWE`, {
      upstreamStatus: response.status,
      details: { operation },
    });
  }
  const issuedAt = responseAnchor(response);
  const nominalExpiry = issuedAt + CANVAS_TOKEN_LIFETIME_MS;
  if (jose.form === 'jwe') {
    return issuedToken(
      {
        token,
        issuedAt,
        expiresAt: nominalExpiry,
        readableExpiry: false,
        refreshableUntil: nominalExpiry + CANVAS_JWT_REFRESH_WINDOW_MS,
      },
      response,
      operation,
    );
  }
  const expiresAt = jose.exp === undefined ? nominalExpiry : Math.min(nominalExpiry, jose.exp * 1000);
  return issuedToken(
    { token, issuedAt, expiresAt, readableExpiry: jose.exp !== undefined },
    response,
    operation,
  );
};

/** Whether a token Canvas issued is signed-only (and so cannot be refreshed). */
export const isSignedOnlyCanvasJwt = (token: string): boolean => {
  const compact = unwrapCanvasJwt(token);
  return compact !== undefined && inspectCompactJose(compact)?.form === 'jws';
};
