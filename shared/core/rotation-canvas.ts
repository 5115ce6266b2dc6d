/** A Canvas access token as rotation sees it (a structural subset of the Tokens API client's record). */
export interface RotationCanvasToken {
  readonly id: string;
  readonly purpose: string | null;
  /** `pending`, `active`, `deleted` (docs also list `disabled`). */
  readonly workflowState: string;
  /** The token's first 5 characters (a prefix of the secret: never log it). */
  readonly tokenHint: string | null;
  /** Present only on the response that created the token. */
  readonly secret?: string;
  /**
   * ISO 8601 as Canvas stored it (its `permanent_expires_at`), null for never. A site token policy
   * may have clamped it below what was asked for. Absent when the source does not say.
   */
  readonly expiresAt?: string | null;
}

/** Canvas, authenticated as one access token. Failures are BrokerErrors with UPSTREAM_* codes. */
export interface RotationCanvasSession {
  /** Every manually generated token of the user (all pages). */
  listTokens(userId: string, signal?: AbortSignal): Promise<RotationCanvasToken[]>;
  /** The result carries `secret`. */
  createToken(
    userId: string,
    input: { readonly purpose: string; readonly expiresAt: Date },
    signal?: AbortSignal,
  ): Promise<RotationCanvasToken>;
  /** `idOrHint`: a database id, or the 5-character token hint. */
  deleteToken(userId: string, idOrHint: string, signal?: AbortSignal): Promise<void>;
  /** `GET /api/v1/users/self`: proves the token authenticates a real call. */
  whoami(signal?: AbortSignal): Promise<{ readonly id: string }>;
}

/**
 * Port: Canvas for rotation. Every session is bound to the token it authenticates with, so the
 * rotation can act with the current token, verify with the pending one and clean up with the new one.
 */
export type RotationCanvas = (accessToken: string) => RotationCanvasSession;
