import type { Tier } from './broker.ts';
import type { CredentialConfig, NormalizedParams } from './credential.ts';
import type { EncryptionContext } from './envelope-cipher.ts';
import type { TokenRecord, VariantKey } from './token-store.ts';

/** A decrypted token held in this instance's memory tier. */
export interface CachedToken extends Omit<TokenRecord, 'envelope'> {
  readonly token: string;
  readonly version: number;
  /** When this instance last confirmed the token against the table (its own clock). */
  checkedAt: number;
}

/** What this instance knows of one variant: the memory tier, and the cycle its callers share. */
export interface VariantState {
  readonly key: VariantKey;
  readonly credential: CredentialConfig;
  readonly params: NormalizedParams;
  cached?: CachedToken;
  /** The tier the current `cached` came from, for metrics and audit. */
  source: Tier;
  /** One table-read/refresh cycle per variant per process; every waiting caller joins it. */
  cycle?: Promise<void>;
  /** The need (ms of guaranteed life) the running cycle works for. */
  cycleNeedMs?: number;
  /**
   * Callers waiting on the cycle, one waiter per need (ms). Each is woken after every table read of
   * the cycle and checks its need, so a caller the current token covers never waits for a longer
   * need's refresh.
   */
  waiters?: Map<number, CycleWaiter>;
  /**
   * The guaranteed life a fresh token of this variant actually gets, learned from its real tokens:
   * measured on arrival for this instance's own mints, from `expiresAt - issuedAt` for tokens read
   * from the table. Undefined until the variant has had a token.
   */
  freshGuaranteeMs?: number;
  touchedAt?: number;
}

/** Every caller of one cycle with one need: settled once the token in memory covers the need, or the cycle ends. */
export interface CycleWaiter {
  readonly cycle: Promise<void>;
  readonly done: Promise<void>;
  check(): void;
}

/** A token and the tier that answered. */
export interface Served {
  readonly token: CachedToken;
  readonly tier: Tier;
}

/** Who a lifecycle log line is about. */
export interface VariantLogFields {
  readonly credentialId: string;
  readonly variantId: string;
  readonly instanceId: string;
}

export const variantLogFields = (state: VariantState, instanceId: string): VariantLogFields => ({
  credentialId: state.key.credentialId,
  variantId: state.key.variantId,
  instanceId,
});

/**
 * The encryption context of a variant's token at `version`: a ciphertext opens only in the item
 * (credential, variant) and at the version it was sealed for, so one copied elsewhere never does.
 */
export const itemContextOf = (key: VariantKey, version: number): EncryptionContext => ({
  credentialId: key.credentialId,
  variantId: key.variantId,
  version: String(version),
});
