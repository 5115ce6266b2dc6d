import type { TokenKind } from './credential.ts';

/**
 * The broker's token answer on the wire (`POST /v1/credentials/{id}/token`, and the direct
 * invoke's result): what the edge writes and the published client reads.
 */
export interface TokenBody {
  readonly token: string;
  readonly tokenType: 'Bearer';
  /** ISO 8601, as the broker believes it (informational: expiry is decided by `expiresIn`). */
  readonly expiresAt: string;
  /** Seconds of life left, guaranteed by the broker; recomputed for tokens served from the cache. */
  readonly expiresIn: number;
  readonly credentialId: string;
  readonly kind: TokenKind;
  /** The token's 16-hex public fingerprint (for logs and invalidation, never the token). */
  readonly fingerprint: string;
}
