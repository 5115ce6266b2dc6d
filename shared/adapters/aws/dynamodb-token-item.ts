import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  ATTR,
  credentialIdOfPartition,
  credentialPartitionKey,
  HOLD_SORT_KEY,
  MINT_PREFIX,
  VARIANT_PREFIX,
} from '../../config/token-table-layout.ts';
import { type NormalizedParams, TOKEN_KINDS, type TokenKind } from '../../core/credential.ts';
import type { ErrorCode } from '../../core/errors.ts';
import { StoreUnavailableError } from '../../core/errors.ts';
import type {
  CredentialHold,
  FailureRecord,
  LeaseRecord,
  MintRecord,
  StoredVariant,
  TokenRecord,
  VariantKey,
} from '../../core/token-store.ts';

/**
 * The token table's item format: marshalling and parsing (keys and attribute names:
 * shared/config/token-table-layout.ts).
 *
 * Layout (one table, `pk` HASH + `sk` RANGE, both strings):
 * - variant item: `pk = CRED#<credentialId>`, `sk = VARIANT#<variantId>`; fencing `version`, the
 *   token (envelope as plain string attributes, never the plaintext), the lease, the failure memory;
 * - mint record: `pk = CRED#<credentialId>`, `sk = MINT#<issuedAt:16 digits>#<variantId>#<version:10 digits>`,
 *   so a descending Query on the `MINT#` prefix lists a credential's newest mints first;
 * - credential hold: `pk = CRED#<credentialId>`, `sk = HOLD#throttle`; one per credential. It lives in
 *   the credential's own partition so the functions' `dynamodb:LeadingKeys` grant (CRED#<id> of the
 *   configured credentials, packages/cdk/src/credential-broker.ts) covers it, and outside the `VARIANT#` prefix
 *   so listings and purge never see it.
 * `ttl` (epoch seconds) only garbage-collects; expiry is always decided by `expiresAt`.
 *
 * Parsing is defensive. Attributes that fencing depends on (`version`, `kind`, `params`, the type of
 * `leaseId`/`failureId`) fail closed with STORE_UNAVAILABLE: guessing them could let two writers
 * both win. Everything else heals itself: a token part with a missing or invalid attribute is read
 * as "no token" (the next refresh's putToken rewrites every token attribute), and a lease or failure
 * whose id is intact but whose timing is not reads as already expired (at 0, 0 ms), so the next
 * caller can take it over with the exact id instead of the variant being wedged forever.
 */

export const DAY_MS = 86_400_000;

export const TOKEN_ATTRIBUTES: readonly string[] = [
  ATTR.keyRef,
  ATTR.encryptedKey,
  ATTR.iv,
  ATTR.tag,
  ATTR.ciphertext,
  ATTR.fingerprint,
  ATTR.issuedAt,
  ATTR.expiresAt,
  ATTR.refreshAt,
  ATTR.refreshableUntil,
  ATTR.readableExpiry,
  ATTR.secretVersionId,
  ATTR.renewalMs,
];
export const LEASE_ATTRIBUTES: readonly string[] = [
  ATTR.leaseId,
  ATTR.leaseOwner,
  ATTR.leaseAt,
  ATTR.leaseMs,
];
export const FAILURE_ATTRIBUTES: readonly string[] = [
  ATTR.failureId,
  ATTR.failureCode,
  ATTR.failureAt,
  ATTR.failureHoldMs,
  ATTR.failureCount,
  ATTR.failureSince,
  ATTR.failureUnhealthyAt,
];

export type Item = Record<string, AttributeValue>;

export const s = (value: string): AttributeValue => ({ S: value });
export const n = (value: number): AttributeValue => ({ N: String(value) });
export const bool = (value: boolean): AttributeValue => ({ BOOL: value });

export const variantSortKey = (variantId: string): string => `${VARIANT_PREFIX}${variantId}`;
export const variantItemKey = (key: VariantKey): Item => ({
  [ATTR.pk]: s(credentialPartitionKey(key.credentialId)),
  [ATTR.sk]: s(variantSortKey(key.variantId)),
});

/** Seconds since the epoch, rounded up so garbage collection never comes early. */
export const ttlSeconds = (epochMs: number): number => Math.ceil(epochMs / 1000);

/** Token attributes for putToken; `undefined` marks an optional attribute the old token may have left. */
export const tokenAttributes = (token: TokenRecord): Record<string, AttributeValue | undefined> => ({
  [ATTR.keyRef]: s(token.envelope.keyRef),
  [ATTR.encryptedKey]: token.envelope.encryptedKey === undefined ? undefined : s(token.envelope.encryptedKey),
  [ATTR.iv]: s(token.envelope.iv),
  [ATTR.tag]: s(token.envelope.tag),
  [ATTR.ciphertext]: s(token.envelope.ciphertext),
  [ATTR.fingerprint]: s(token.fingerprint),
  [ATTR.issuedAt]: n(token.issuedAt),
  [ATTR.expiresAt]: n(token.expiresAt),
  [ATTR.refreshAt]: n(token.refreshAt),
  [ATTR.refreshableUntil]: token.refreshableUntil === undefined ? undefined : n(token.refreshableUntil),
  [ATTR.readableExpiry]: bool(token.readableExpiry),
  [ATTR.secretVersionId]: s(token.secretVersionId),
  [ATTR.renewalMs]: token.renewalMs === undefined ? undefined : n(token.renewalMs),
});

export const leaseAttributes = (lease: LeaseRecord): Record<string, AttributeValue> => ({
  [ATTR.leaseId]: s(lease.id),
  [ATTR.leaseOwner]: s(lease.owner),
  [ATTR.leaseAt]: n(lease.at),
  [ATTR.leaseMs]: n(lease.ms),
});

/** `undefined` marks an optional attribute the previous failure may have left (REMOVE). */
export const failureAttributes = (failure: FailureRecord): Record<string, AttributeValue | undefined> => ({
  [ATTR.failureId]: s(failure.id),
  [ATTR.failureCode]: s(failure.code),
  [ATTR.failureAt]: n(failure.at),
  [ATTR.failureHoldMs]: n(failure.holdMs),
  [ATTR.failureCount]: n(failure.count),
  [ATTR.failureSince]: failure.since === undefined ? undefined : n(failure.since),
  [ATTR.failureUnhealthyAt]: failure.unhealthyAt === undefined ? undefined : n(failure.unhealthyAt),
});

export const credentialHoldKey = (credentialId: string): Item => ({
  [ATTR.pk]: s(credentialPartitionKey(credentialId)),
  [ATTR.sk]: s(HOLD_SORT_KEY),
});

export const credentialHoldAttributes = (hold: CredentialHold): Record<string, AttributeValue> => ({
  [ATTR.holdId]: s(hold.id),
  [ATTR.holdCode]: s(hold.code),
  [ATTR.holdAt]: n(hold.at),
  [ATTR.holdMs]: n(hold.ms),
  // The writers' comparison key: a put succeeds only if it ends later than what is stored.
  [ATTR.holdUntil]: n(hold.at + hold.ms),
  // Garbage collection only, a day after the hold ends.
  [ATTR.ttl]: n(ttlSeconds(hold.at + hold.ms + DAY_MS)),
});

const padded = (value: number, digits: number): string =>
  String(Math.max(0, Math.trunc(value))).padStart(digits, '0');

/** Zero-padded so the sort key orders numerically; 16 digits outlast any epoch-ms timestamp. */
export const mintSortKey = (record: MintRecord): string =>
  `${MINT_PREFIX}${padded(record.issuedAt, 16)}#${record.key.variantId}#${padded(record.version, 10)}`;

export const mintItem = (record: MintRecord, mintHistoryMs: number): Item => ({
  [ATTR.pk]: s(credentialPartitionKey(record.key.credentialId)),
  [ATTR.sk]: s(mintSortKey(record)),
  [ATTR.credentialId]: s(record.key.credentialId),
  [ATTR.variantId]: s(record.key.variantId),
  [ATTR.fingerprint]: s(record.fingerprint),
  [ATTR.issuedAt]: n(record.issuedAt),
  [ATTR.expiresAt]: n(record.expiresAt),
  [ATTR.secretVersionId]: s(record.secretVersionId),
  [ATTR.version]: n(record.version),
  [ATTR.instanceId]: s(record.instanceId),
  [ATTR.via]: s(record.via),
  [ATTR.ttl]: n(ttlSeconds(record.issuedAt + mintHistoryMs)),
});

const str = (item: Item, attribute: string): string | undefined => {
  const value = item[attribute]?.S;
  return typeof value === 'string' ? value : undefined;
};

const num = (item: Item, attribute: string): number | undefined => {
  const raw = item[attribute]?.N;
  if (typeof raw !== 'string') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
};

const flag = (item: Item, attribute: string): boolean | undefined => {
  const value = item[attribute]?.BOOL;
  return typeof value === 'boolean' ? value : undefined;
};

const isKind = (value: string | undefined): value is TokenKind =>
  value !== undefined && (TOKEN_KINDS as readonly string[]).includes(value);

const ERROR_CODE_SHAPE = /^[A-Z][A-Z_]{0,63}$/;

const malformed = (tableName: string, key: VariantKey, attribute: string): StoreUnavailableError =>
  new StoreUnavailableError(
    `DynamoDB table ${tableName} holds a malformed token item (attribute ${attribute}).`,
    { details: { table: tableName, credentialId: key.credentialId, variantId: key.variantId, attribute } },
  );

const parseParams = (raw: string | undefined): NormalizedParams | undefined => {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as NormalizedParams)
      : undefined;
  } catch {
    return undefined;
  }
};

const parseToken = (item: Item): TokenRecord | undefined => {
  const keyRef = str(item, ATTR.keyRef);
  const iv = str(item, ATTR.iv);
  const tag = str(item, ATTR.tag);
  const ciphertext = str(item, ATTR.ciphertext);
  const fingerprint = str(item, ATTR.fingerprint);
  const issuedAt = num(item, ATTR.issuedAt);
  const expiresAt = num(item, ATTR.expiresAt);
  const refreshAt = num(item, ATTR.refreshAt);
  const readableExpiry = flag(item, ATTR.readableExpiry);
  const secretVersionId = str(item, ATTR.secretVersionId);
  if (
    keyRef === undefined ||
    iv === undefined ||
    tag === undefined ||
    ciphertext === undefined ||
    fingerprint === undefined ||
    issuedAt === undefined ||
    expiresAt === undefined ||
    refreshAt === undefined ||
    readableExpiry === undefined ||
    secretVersionId === undefined
  ) {
    // Incomplete token (absent, invalidated, or corrupt): "no token" makes the broker refresh, and
    // putToken then rewrites every token attribute.
    return undefined;
  }
  const encryptedKey = str(item, ATTR.encryptedKey);
  const refreshableUntil = num(item, ATTR.refreshableUntil);
  // A hint only: a value that is not a plain duration is dropped rather than failing the read.
  const renewalMs = num(item, ATTR.renewalMs);
  return {
    envelope: {
      keyRef,
      ...(encryptedKey === undefined ? {} : { encryptedKey }),
      iv,
      tag,
      ciphertext,
    },
    fingerprint,
    issuedAt,
    expiresAt,
    refreshAt,
    ...(refreshableUntil === undefined ? {} : { refreshableUntil }),
    readableExpiry,
    secretVersionId,
    ...(renewalMs !== undefined && renewalMs >= 0 && Number.isFinite(renewalMs) ? { renewalMs } : {}),
  };
};

const parseLease = (item: Item, tableName: string, key: VariantKey): LeaseRecord | undefined => {
  const raw = item[ATTR.leaseId];
  if (raw === undefined) return undefined;
  const id = raw.S;
  // A non-string id could never be matched by `leaseId = :seen`, so nobody could take it over.
  if (typeof id !== 'string') throw malformed(tableName, key, ATTR.leaseId);
  return {
    id,
    owner: str(item, ATTR.leaseOwner) ?? '',
    at: num(item, ATTR.leaseAt) ?? 0,
    ms: num(item, ATTR.leaseMs) ?? 0,
  };
};

const parseFailure = (item: Item, tableName: string, key: VariantKey): FailureRecord | undefined => {
  const raw = item[ATTR.failureId];
  if (raw === undefined) return undefined;
  const id = raw.S;
  if (typeof id !== 'string') throw malformed(tableName, key, ATTR.failureId);
  const code = str(item, ATTR.failureCode);
  const count = num(item, ATTR.failureCount);
  const since = num(item, ATTR.failureSince);
  const unhealthyAt = num(item, ATTR.failureUnhealthyAt);
  return {
    id,
    code: code !== undefined && ERROR_CODE_SHAPE.test(code) ? (code as ErrorCode) : 'INTERNAL',
    at: num(item, ATTR.failureAt) ?? 0,
    holdMs: num(item, ATTR.failureHoldMs) ?? 0,
    count: count !== undefined && count >= 1 ? Math.trunc(count) : 1,
    ...(since === undefined ? {} : { since }),
    ...(unhealthyAt === undefined ? {} : { unhealthyAt }),
  };
};

/** The longest a stored hold is believed: Retry-After is capped at an hour too (core/backoff.ts). */
const MAX_HOLD_MS = 3_600_000;

/**
 * A hold whose id is intact but whose timing is not reads as already passed (at 0, 0 ms), and an
 * absurd duration is capped: a corrupt item must never silence a credential for good.
 */
export const parseCredentialHold = (item: Item): CredentialHold | undefined => {
  const id = str(item, ATTR.holdId);
  if (id === undefined) return undefined;
  const code = str(item, ATTR.holdCode);
  const ms = num(item, ATTR.holdMs);
  return {
    id,
    code: code !== undefined && ERROR_CODE_SHAPE.test(code) ? (code as ErrorCode) : 'UPSTREAM_RETRYABLE',
    at: num(item, ATTR.holdAt) ?? 0,
    ms: ms === undefined || ms < 0 ? 0 : Math.min(ms, MAX_HOLD_MS),
  };
};

/** The variant key an item lives under, from its primary key (the copies in the item are informative). */
export const variantKeyOf = (item: Item): VariantKey | undefined => {
  const pk = str(item, ATTR.pk);
  const sk = str(item, ATTR.sk);
  const credentialId = pk === undefined ? undefined : credentialIdOfPartition(pk);
  if (credentialId === undefined || sk === undefined || !sk.startsWith(VARIANT_PREFIX)) {
    return undefined;
  }
  return { credentialId, variantId: sk.slice(VARIANT_PREFIX.length) };
};

export const parseVariantItem = (item: Item, key: VariantKey, tableName: string): StoredVariant => {
  const version = num(item, ATTR.version);
  if (version === undefined || !Number.isSafeInteger(version) || version < 0) {
    throw malformed(tableName, key, ATTR.version);
  }
  const kind = str(item, ATTR.kind);
  if (!isKind(kind)) throw malformed(tableName, key, ATTR.kind);
  const params = parseParams(str(item, ATTR.params));
  if (params === undefined) throw malformed(tableName, key, ATTR.params);
  const token = parseToken(item);
  const lease = parseLease(item, tableName, key);
  const failure = parseFailure(item, tableName, key);
  const lastUsedAt = num(item, ATTR.lastUsedAt);
  return {
    key,
    kind,
    params,
    version,
    ...(token === undefined ? {} : { token }),
    ...(lease === undefined ? {} : { lease }),
    ...(failure === undefined ? {} : { failure }),
    ...(lastUsedAt === undefined ? {} : { lastUsedAt }),
  };
};

/** Audit records are informative only: a corrupt one is skipped (undefined) rather than failing the list. */
export const parseMintItem = (item: Item): MintRecord | undefined => {
  const credentialId = str(item, ATTR.credentialId);
  const variantId = str(item, ATTR.variantId);
  const fingerprint = str(item, ATTR.fingerprint);
  const issuedAt = num(item, ATTR.issuedAt);
  const expiresAt = num(item, ATTR.expiresAt);
  const secretVersionId = str(item, ATTR.secretVersionId);
  const version = num(item, ATTR.version);
  const instanceId = str(item, ATTR.instanceId);
  const via = str(item, ATTR.via);
  if (
    credentialId === undefined ||
    variantId === undefined ||
    fingerprint === undefined ||
    issuedAt === undefined ||
    expiresAt === undefined ||
    secretVersionId === undefined ||
    version === undefined ||
    instanceId === undefined ||
    (via !== 'mint' && via !== 'refresh')
  ) {
    return undefined;
  }
  return {
    key: { credentialId, variantId },
    fingerprint,
    issuedAt,
    expiresAt,
    secretVersionId,
    version,
    instanceId,
    via,
  };
};
