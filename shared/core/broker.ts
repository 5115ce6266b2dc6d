import type { Caller, NormalizedParams, TokenKind } from './credential.ts';

export interface TokenRequest {
  readonly credentialId: string;
  /** The least remaining life the caller needs, in seconds (default 0: any valid token). */
  readonly minTtlSeconds?: number;
  /** Caller-chosen parameters, raw; validated against the credential's `callerParams`. */
  readonly params?: unknown;
  readonly requestId?: string;
  /** Aborts this caller's wait only; a shared refresh in flight goes on for the others. */
  readonly signal?: AbortSignal;
}

export type Tier = 'memory' | 'table' | 'upstream';

export interface ServedToken {
  readonly token: string;
  readonly tokenType: 'Bearer';
  /** Epoch ms the broker believes the token expires (upstream-anchored, conservative). */
  readonly expiresAt: number;
  /** Seconds of life the broker guarantees from now, after its clock-skew allowance. */
  readonly expiresIn: number;
  readonly credentialId: string;
  readonly kind: TokenKind;
  readonly fingerprint: string;
  readonly tier: Tier;
}

export type VariantState = 'fresh' | 'stale' | 'expired' | 'empty';

export interface VariantSummary {
  readonly variantId: string;
  readonly params: NormalizedParams;
  readonly state: VariantState;
  readonly version: number;
  readonly expiresAt?: number;
  readonly refreshAt?: number;
  readonly fingerprint?: string;
  readonly secretVersionId?: string;
  readonly lastUsedAt?: number;
  /**
   * The variant's last renewal failed. `since` starts the streak of failures with this same code;
   * `unhealthy` once that streak outlived `unhealthyAfterMs` (until a token is issued again).
   */
  readonly failing?: {
    readonly code: string;
    readonly count: number;
    readonly since: number;
    readonly unhealthy: boolean;
  };
}

export interface CredentialSummary {
  readonly id: string;
  readonly kind: TokenKind;
  readonly callerParams: readonly string[];
  /** The most recently used variants the caller may see, at most MAX_LISTED_VARIANTS. */
  readonly variants: readonly VariantSummary[];
  /** How many variants the caller may see in all (more than `variants.length` when truncated). */
  readonly variantCount: number;
}

/**
 * `unhealthy` when any variant is: its upstream has failed the same way for longer than
 * `unhealthyAfterMs`, with that variant's last error code and the start of its streak.
 */
export type CredentialHealth =
  | { readonly state: 'healthy' }
  | { readonly state: 'unhealthy'; readonly code: string; readonly since: number; readonly variants: number };

export interface CredentialDetail extends CredentialSummary {
  readonly baseUrl: string;
  readonly health: CredentialHealth;
  readonly recentMints: readonly {
    readonly variantId: string;
    readonly fingerprint: string;
    readonly issuedAt: number;
    readonly expiresAt: number;
    readonly secretVersionId: string;
    readonly via: 'mint' | 'refresh';
  }[];
}

export interface PrewarmReport {
  readonly refreshed: number;
  readonly skipped: number;
  readonly failed: number;
  readonly failures: readonly {
    readonly credentialId: string;
    readonly variantId: string;
    readonly code: string;
  }[];
}

/**
 * The broker's use cases. Every method authorizes the caller first (deny by default); an unknown
 * and a forbidden credential both fail with POLICY_DENIED, before any store or upstream call.
 */
export interface Broker {
  getToken(caller: Caller, request: TokenRequest): Promise<ServedToken>;
  /**
   * The credentials this caller may use, with cache state; never a token. Non-admins see only the
   * variants they may request, without fingerprints.
   */
  listCredentials(caller: Caller): Promise<CredentialSummary[]>;
  /** Admin only. */
  describeCredential(caller: Caller, credentialId: string): Promise<CredentialDetail>;
  /**
   * Drops the variant's token iff the caller proves it holds it: `tokenSha256` is the full SHA-256
   * (hex) of the current token. A stale report, or one that only knows a fingerprint, changes nothing.
   */
  invalidate(
    caller: Caller,
    request: { readonly credentialId: string; readonly tokenSha256: string; readonly params?: unknown },
  ): Promise<{ readonly invalidated: boolean }>;
  /** Admin only: renews every variant of the credential now. */
  forceRefresh(caller: Caller, credentialId: string): Promise<{ readonly refreshed: number }>;
  /** Admin only: deletes every cached token of the credential. */
  purge(caller: Caller, credentialId: string): Promise<{ readonly purged: number }>;
  /** Renews stale variants used recently; one credential's failure never fails the run. */
  prewarm(): Promise<PrewarmReport>;
}

/** The caller identity of direct Lambda invocations: authorized by who may invoke the function. */
export const INVOKE_CALLER: Caller = { arn: 'lambda-invoke', accountId: '' };
