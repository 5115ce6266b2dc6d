import {
  type BrokerError,
  type BrokerErrorOptions,
  CredentialsRejectedError,
  RefreshRejectedError,
  UpstreamFatalError,
  UpstreamMalformedError,
  UpstreamRetryableError,
} from '../../core/errors.ts';
import { safeText } from '../../core/safe-text.ts';
import { upstreamDate } from './response-anchor.ts';
import { parseRetryAfter } from './retry-after.ts';
import { parseUpstreamErrorBody } from './upstream-error-body.ts';
import type { UpstreamResponse } from './upstream-response.ts';

export interface FailureContext {
  /** Names the call in the message, e.g. `Identity Service login`. */
  readonly operation: string;
  /** Identity Service and Canvas disagree on what 401/403 mean (contract section 6). */
  readonly service: 'identity-service' | 'canvas';
  /** The call is `/api/v1/jwts/refresh`, where `invalid refresh` means "mint a new one instead". */
  readonly refresh?: boolean;
}

/** DAP account states that no retry or secret re-read can fix. */
const FATAL_ACCOUNT_TYPES: ReadonlySet<string> = new Set([
  'AccountDisabled',
  'AccountNotOnboarded',
  'AccountUnderMaintenance',
]);

/**
 * Canvas' leaky bucket charges 50 units up front and drains 10 units/s, so a throttled request
 * that got no `Retry-After` can expect room for one more request about 5 s later.
 */
const CANVAS_THROTTLE_ESTIMATE_SECONDS = 5;

/**
 * Turns a response with a status the call did not expect into the broker error contract section 6
 * prescribes. The core reads two things off the result (shared/core/upstream-failure.ts): a
 * throttle is UPSTREAM_RETRYABLE with upstreamStatus 429 or 403 (403 is retryable only for the
 * rate-limit text), which holds the whole credential; and on `/jwts/refresh` everything except
 * host-wide failures (those throttles, 408, network errors, timeouts) and rejected credentials
 * falls back to a mint, so a 500 from refresh never wedges a renewal. Upstream text reaches the message only through `safeText`; a success body is never
 * quoted (it may hold a token).
 */
export const classifyFailure = (response: UpstreamResponse, context: FailureContext): BrokerError => {
  const { status } = response;
  const { operation } = context;

  if (status >= 200 && status < 300) {
    return new UpstreamMalformedError(`${operation}: unexpected success status HTTP ${status}`, {
      upstreamStatus: status,
      details: { operation },
    });
  }

  const body = parseUpstreamErrorBody(response.text);
  const summary = body.messages.length > 0 ? `: ${safeText(body.messages.join('; '))}` : '';
  const message = `${operation} failed: HTTP ${status}${summary}`;
  const details: Record<string, string | number | boolean> = { operation };
  if (body.errorType !== undefined) details.upstreamErrorType = safeText(body.errorType, 64);
  if (body.errorUuid !== undefined) details.upstreamErrorUuid = safeText(body.errorUuid, 64);
  const options = (extra: BrokerErrorOptions = {}): BrokerErrorOptions => ({
    upstreamStatus: status,
    details,
    ...extra,
  });
  const retryAfter = (estimate?: number): BrokerErrorOptions => {
    const parsed = parseRetryAfter(
      response.headers.get('retry-after'),
      upstreamDate(response) ?? response.receivedAt,
    );
    const seconds = parsed ?? estimate;
    return options(seconds === undefined ? {} : { retryAfterSeconds: seconds });
  };
  const canvasEstimate = context.service === 'canvas' ? CANVAS_THROTTLE_ESTIMATE_SECONDS : undefined;

  if (status < 200 || (status >= 300 && status < 400)) {
    // Redirects are not followed: one could carry the bearer token to another host.
    return new UpstreamMalformedError(`${operation}: unexpected status HTTP ${status}`, options());
  }
  if (status >= 500) return new UpstreamRetryableError(message, retryAfter());
  if (status === 429) return new UpstreamRetryableError(message, retryAfter(canvasEstimate));
  // 408 is the server giving up on a slow request: the same as our own timeout, worth retrying.
  if (status === 408) return new UpstreamRetryableError(message, retryAfter());
  if (status === 403 && body.rateLimited) {
    return new UpstreamRetryableError(message, retryAfter(CANVAS_THROTTLE_ESTIMATE_SECONDS));
  }

  if (context.service === 'identity-service') {
    if (status === 403 && body.errorType !== undefined && FATAL_ACCOUNT_TYPES.has(body.errorType)) {
      return new UpstreamFatalError(message, options());
    }
    if (status === 401 || status === 403) return new CredentialsRejectedError(message, options());
    return new UpstreamFatalError(message, options());
  }

  if (status === 401) {
    // Only a 401 carrying WWW-Authenticate says the token itself is bad; a 401 for insufficient
    // scopes has none, and treating it as rejected would re-read the secret for nothing.
    if (response.headers.has('www-authenticate')) return new CredentialsRejectedError(message, options());
    return new UpstreamFatalError(message, options());
  }
  if (context.refresh === true && status === 400 && body.jwtError === 'invalid refresh') {
    return new RefreshRejectedError(message, options());
  }
  return new UpstreamFatalError(message, options());
};
