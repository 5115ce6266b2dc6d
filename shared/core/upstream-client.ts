import type { NormalizedParams } from './credential.ts';
import type { SecretValue } from './secret-source.ts';

/** A token as issued upstream, with a lifetime the broker can rely on. */
export interface IssuedToken {
  readonly token: string;
  /**
   * Epoch ms of issue and expiry, conservative: anchored at the moment the request was sent, and
   * on the upstream's clock when the response carried a `Date` header (so instances with skewed
   * clocks agree), else on the local clock. Never later than a readable `exp`.
   */
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** The expiry was read from the token itself (a JWS `exp`). */
  readonly readableExpiry: boolean;
  /** canvas-jwt only: `/api/v1/jwts/refresh` accepts this token until then (exp + 6 h). */
  readonly refreshableUntil?: number;
}

export interface UpstreamRequest {
  readonly secret: SecretValue;
  readonly params: NormalizedParams;
  readonly signal: AbortSignal;
}

/**
 * Port: one upstream token issuer for one credential. Failures are BrokerErrors classified per
 * contract section 6: UPSTREAM_RETRYABLE (with retryAfterSeconds when given), UPSTREAM_TIMEOUT,
 * UPSTREAM_CREDENTIALS_REJECTED, UPSTREAM_FATAL, UPSTREAM_MALFORMED, UPSTREAM_REFRESH_REJECTED.
 * `upstreamStatus` is set for every HTTP answer and absent for a network error; a throttle is
 * UPSTREAM_RETRYABLE with status 429 or 403. The core's retry decisions rest on exactly this
 * (shared/core/upstream-failure.ts).
 */
export interface UpstreamClient {
  mint(request: UpstreamRequest): Promise<IssuedToken>;
  /** Present only where the kind can renew a token without a new mint (canvas-jwt). */
  refresh?(request: UpstreamRequest & { readonly previousToken: string }): Promise<IssuedToken>;
}
