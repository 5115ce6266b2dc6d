import type { Clock } from './clock.ts';
import { canRefresh } from './credential.ts';
import type { EnvelopeCipher } from './envelope-cipher.ts';
import { DecryptionFailedError, isBrokerError } from './errors.ts';
import { fingerprint } from './fingerprint.ts';
import type { Logger } from './telemetry.ts';
import type { StoredVariant, TokenRecord } from './token-store.ts';
import type { TokenTiming } from './token-timing.ts';
import { itemContextOf, type VariantState, variantLogFields } from './variant-state.ts';

/** Whether a stored token's plaintext will be used, so is worth a Decrypt. */
export type OpenRule = (state: VariantState, record: TokenRecord, now: number) => boolean;

export type SyncOutcome = 'empty' | 'same' | 'opened' | 'unopened' | 'undecryptable';

export interface TableSync {
  /**
   * Brings the memory tier in line with the table item; decrypts only when the token changed and
   * `open` says its plaintext will be used (otherwise this instance keeps what it had).
   */
  sync(state: VariantState, item: StoredVariant | undefined, open: OpenRule): Promise<SyncOutcome>;
  /** Opens a token only to present it to `/jwts/refresh`, the one renewal that needs the old token. */
  readonly forRefresh: OpenRule;
  /**
   * Opens any live token, whatever the running cycle's need (a caller with a shorter need may join
   * the cycle and be served by it), and an expired one only for a refresh.
   */
  readonly forServing: OpenRule;
}

export interface TableSyncDeps {
  readonly cipher: EnvelopeCipher;
  readonly clock: Clock;
  readonly timing: TokenTiming;
  readonly logger: Logger;
  readonly instanceId: string;
}

/** A fresh token read from the table arrived at its minting instance a little after `issuedAt`. */
const FRESH_ARRIVAL_SLACK_MS = 10_000;

/**
 * The read-through's table step. A stored token another instance wrote is opened (a KMS Decrypt on
 * AWS) only when the plaintext may be used: served while it lives, or presented to `/jwts/refresh`.
 * Anything else is replaced unopened (issue 10).
 */
export const makeTableSync = ({ cipher, clock, timing, logger, instanceId }: TableSyncDeps): TableSync => {
  const forRefresh: OpenRule = (state, record, now) =>
    canRefresh(state.credential.kind) &&
    record.refreshableUntil !== undefined &&
    now < record.refreshableUntil;
  const forServing: OpenRule = (state, record, now) =>
    timing.guaranteedMs(record, now) > 0 || forRefresh(state, record, now);

  const sync: TableSync['sync'] = async (state, item, open) => {
    const now = clock.now();
    if (!item?.token) {
      // Purged or invalidated in the table: this instance stops serving its copy too.
      state.cached = undefined;
      return 'empty';
    }
    const current = state.cached;
    if (current && current.version === item.version && current.fingerprint === item.token.fingerprint) {
      current.checkedAt = now;
      // Confirmed by this table read: whoever minted it, it is now served from the shared tier.
      state.source = 'table';
      return 'same';
    }
    if (!open(state, item.token, now)) return 'unopened';
    let token: string;
    try {
      token = await cipher.open(item.token.envelope, itemContextOf(state.key, item.version));
      if (fingerprint(token) !== item.token.fingerprint)
        throw new DecryptionFailedError('fingerprint mismatch');
    } catch (error) {
      if (!isBrokerError(error) || error.code !== 'DECRYPT_FAILED') throw error;
      // An envelope that does not open in its own item (moved, corrupted, wrong key) is treated as
      // no token at all: a fresh mint overwrites it. Never served, never fatal.
      logger.error('stored token does not decrypt; it will be replaced', {
        ...variantLogFields(state, instanceId),
        code: error.code,
      });
      state.cached = undefined;
      return 'undecryptable';
    }
    const { envelope: _sealed, ...record } = item.token;
    state.cached = { ...record, token, version: item.version, checkedAt: now };
    state.source = 'table';
    // Another instance's mint: its arrival is unknown here, so the lifetime less the usual slack.
    state.freshGuaranteeMs = timing.guaranteedMs(record, record.issuedAt) - FRESH_ARRIVAL_SLACK_MS;
    return 'opened';
  };

  return { sync, forRefresh, forServing };
};
