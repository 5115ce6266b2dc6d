import { type BrokerError, isBrokerError } from './errors.ts';

/**
 * What one failed upstream call says about the next one, from the UpstreamClient port's error
 * contract (shared/core/upstream-client.ts; the HTTP adapter classifies in
 * shared/adapters/http/classify-failure.ts and send-upstream-request.ts):
 * - a throttling answer is UPSTREAM_RETRYABLE with `upstreamStatus` 429, or 403 (Canvas's plain-text
 *   `403 Forbidden (Rate Limit Exceeded)`; every other 403 is classified otherwise);
 * - a network error is UPSTREAM_RETRYABLE without `upstreamStatus`; a deadline is UPSTREAM_TIMEOUT;
 *   408 is the server timing the request out.
 */

/** Canvas throttles per access token (its leaky bucket), so one variant's 429 holds the credential. */
export const isThrottle = (error: BrokerError): boolean =>
  error.code === 'UPSTREAM_RETRYABLE' && (error.upstreamStatus === 429 || error.upstreamStatus === 403);

/**
 * The upstream host as a whole is unreachable, timing out or throttling this credential: a second
 * call to the same host now (say, a mint after a failed refresh) would only fail the same way and
 * add load where the host asked for less.
 */
export const isHostTransient = (error: BrokerError): boolean =>
  error.code === 'UPSTREAM_TIMEOUT' ||
  (error.code === 'UPSTREAM_RETRYABLE' &&
    (error.upstreamStatus === undefined || error.upstreamStatus === 408 || isThrottle(error)));

/**
 * After `POST /api/v1/jwts/refresh` failed, within the same renewal: `mint` a new token at once, or
 * `fail` the renewal with the refresh's own error (failure memory then holds the variant under
 * capped, jittered backoff; a rejected access token is handled one level up, in callUpstream, which
 * re-reads the secret once, bypassing caches, and with a new version mints once with it).
 *
 * Canvas (instructure/canvas-lms app/controllers/jwts_controller.rb, JwtsController#refresh) turns
 * only CanvasSecurity::ServicesJwt::InvalidRefresh, JSON::JWE::DecryptionFailed and
 * JSON::JWT::InvalidFormat into 400 `{"errors":{"jwt":"invalid refresh"}}`
 * (spec/controllers/jwts_controller_spec.rb "returns an error if jwt is invalid for refresh"); any
 * other failure to verify the presented token escapes the rescue and answers 500, on every retry:
 * CanvasSecurity::ServicesJwt.refresh_for_user and .decrypt
 * (gems/canvas_security/lib/canvas_security/services_jwt.rb) verify the signature against the
 * current and previous signing secrets and the RS256 keyset, so a token signed with a key gone from
 * the keyset, or by another environment, raises a JWS verification error, not InvalidRefresh. A
 * token whose context was deleted fails in `constantize.find` (ActiveRecord's not-found: a 404). So a refresh is never the only way out: everything that is not a
 * failure of the whole host falls back to a mint.
 *
 * | refresh outcome                                              | next step in the same renewal |
 * |--------------------------------------------------------------|-------------------------------|
 * | 200 with a token                                             | serve it (via `refresh`)      |
 * | 400 `invalid refresh`, or a signed-only token (REFRESH_REJECTED) | mint                      |
 * | any 5xx (UPSTREAM_RETRYABLE with status >= 500)              | mint                          |
 * | malformed answer: 2xx without token, 3xx, bad JSON (MALFORMED)| mint                         |
 * | other 4xx: 400, 404, 422, 401 without WWW-Authenticate (FATAL)| mint; its own outcome decides|
 * | 401 with WWW-Authenticate (CREDENTIALS_REJECTED)             | fail here; callUpstream re-reads the secret once |
 * | network error, timeout, 408                                  | fail: host-wide, backoff      |
 * | 429, 403 rate-limit                                          | fail: host-wide, credential hold |
 * | anything else (secret, cipher, internal errors)              | fail                          |
 */
export const afterRefreshFailure = (error: unknown): 'mint' | 'fail' => {
  if (!isBrokerError(error)) return 'fail';
  switch (error.code) {
    case 'UPSTREAM_REFRESH_REJECTED':
    case 'UPSTREAM_MALFORMED':
    case 'UPSTREAM_FATAL':
      return 'mint';
    case 'UPSTREAM_RETRYABLE':
      return isHostTransient(error) ? 'fail' : 'mint';
    default:
      return 'fail';
  }
};
