import type { NormalizedParams, TokenKind } from './credential.ts';
import type { Envelope } from './envelope-cipher.ts';
import type { ErrorCode } from './errors.ts';

/** One cached token slot: a credential plus a hash of its normalized request parameters. */
export interface VariantKey {
  readonly credentialId: string;
  readonly variantId: string;
}

/** The token part of a variant. Times are epoch ms. The plaintext token is only ever inside `envelope`. */
export interface TokenRecord {
  readonly envelope: Envelope;
  readonly fingerprint: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** When a caller or the pre-warm should start renewing (jittered, before expiry). */
  readonly refreshAt: number;
  readonly refreshableUntil?: number;
  readonly readableExpiry: boolean;
  /** The secret version that minted it, so a rotation can be audited and tokens traced. */
  readonly secretVersionId: string;
  /**
   * How long the renewal that produced it took at its holder (lease taken to token sealed), ms.
   * Instances that waited on the lease learn the renewal pace from it exactly (mint-pace.ts), where
   * their own polls could only bracket it. Absent on items written before it existed.
   */
  readonly renewalMs?: number;
}

/**
 * A refresh lease. `at` is the holder's clock and is only trusted beyond the configured clock-skew
 * tolerance; otherwise an observer measures `ms` on its own clock from when it first saw `id`.
 */
export interface LeaseRecord {
  readonly id: string;
  readonly owner: string;
  readonly at: number;
  readonly ms: number;
}

/** Failure memory: no instance calls upstream again before `holdMs` has passed (same rule as leases). */
export interface FailureRecord {
  readonly id: string;
  readonly code: ErrorCode;
  readonly at: number;
  readonly holdMs: number;
  /** Consecutive failures, for exponential backoff. */
  readonly count: number;
  /**
   * When the current streak of consecutive failures with this same `code` began (writer's clock):
   * carried from the previous failure record when the code repeats, reset when it changes. Absent
   * on records written before it existed (read as `at`).
   */
  readonly since?: number;
  /**
   * When the variant was declared unhealthy (its streak outlived `unhealthyAfterMs`). Carried over
   * every later failure, whatever its code, until a token is written: so exactly one writer, the
   * lease holder that crossed the line, reports each healthy → unhealthy → healthy transition.
   */
  readonly unhealthyAt?: number;
}

/**
 * A hold on a whole credential, written after a throttling answer (429, Canvas's 403 rate-limit):
 * Canvas throttles per access token, so no variant of the credential calls upstream before it has
 * passed. Same timing rules as a lease (`at` on the writer's clock, `ms` measured by HoldTracker).
 */
export interface CredentialHold {
  readonly id: string;
  readonly code: ErrorCode;
  readonly at: number;
  readonly ms: number;
}

export interface StoredVariant {
  readonly key: VariantKey;
  readonly kind: TokenKind;
  readonly params: NormalizedParams;
  /** Fencing counter: 0 before the first token; every successful token write increments it. */
  readonly version: number;
  readonly token?: TokenRecord;
  readonly lease?: LeaseRecord;
  readonly failure?: FailureRecord;
  readonly lastUsedAt?: number;
}

/** What the lease taker saw; the lease is granted only if the item still matches it exactly. */
export interface LeaseExpectation {
  readonly version: number;
  /** The lease being taken over, or undefined when no lease may be present. */
  readonly leaseId?: string;
  /** The failure whose hold has passed, or undefined when no failure may be present. */
  readonly failureId?: string;
}

export interface MintRecord {
  readonly key: VariantKey;
  readonly fingerprint: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly secretVersionId: string;
  readonly version: number;
  readonly instanceId: string;
  readonly via: 'mint' | 'refresh';
}

/**
 * Port: the shared tier. All reads that decide correctness are strongly consistent. Conditional
 * operations answer false when their condition does not hold (never throw for that); other
 * failures are BrokerErrors with code STORE_UNAVAILABLE.
 */
export interface TokenStore {
  read(key: VariantKey): Promise<StoredVariant | undefined>;
  /** Every variant of one credential (for pre-warm and listings). */
  list(credentialId: string): Promise<StoredVariant[]>;
  /**
   * Takes the refresh lease iff the item is at `expected.version`, holds exactly `expected.leaseId`
   * (none when undefined) and exactly `expected.failureId` (none when undefined). Creates the item
   * (version 0, with `kind` and `params`) when it does not exist and `expected.version` is 0.
   */
  acquireLease(
    key: VariantKey,
    init: { readonly kind: TokenKind; readonly params: NormalizedParams },
    lease: LeaseRecord,
    expected: LeaseExpectation,
  ): Promise<boolean>;
  /**
   * Fenced write: succeeds iff `leaseId` still holds the lease and the item is still at `version`.
   * Sets the token, version + 1, clears lease and failure. A late or paused writer gets false.
   */
  putToken(key: VariantKey, leaseId: string, version: number, token: TokenRecord): Promise<boolean>;
  /** Fenced like putToken: records the failure and releases the lease; the version is unchanged. */
  putFailure(key: VariantKey, leaseId: string, failure: FailureRecord): Promise<boolean>;
  /** Releases the lease iff `leaseId` still holds it. */
  releaseLease(key: VariantKey, leaseId: string): Promise<void>;
  /** Records recent use (for pre-warm); best effort. */
  touch(key: VariantKey, at: number): Promise<void>;
  /** Removes the token iff its fingerprint is `fingerprint`; a stale report cannot evict a newer token. */
  invalidate(key: VariantKey, fingerprint: string): Promise<boolean>;
  /** Deletes every variant of a credential; returns how many were deleted. */
  purge(credentialId: string): Promise<number>;
  /** The credential's throttle hold, if one was ever written (it may have passed). */
  readCredentialHold(credentialId: string): Promise<CredentialHold | undefined>;
  /**
   * Records a credential hold unless the recorded one ends later (`at + ms`, writer clocks): a
   * shorter hold never shortens a longer one. Answers whether it was written. Survives purge (it is
   * upstream's state, not a cached token).
   */
  putCredentialHold(credentialId: string, hold: CredentialHold): Promise<boolean>;
  /** Appends an audit record of an issued token (kept for a limited time). */
  recordMint(record: MintRecord): Promise<void>;
  /** The newest audit records of a credential, newest first. */
  listMints(credentialId: string, limit: number): Promise<MintRecord[]>;
}
