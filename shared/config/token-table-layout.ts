/**
 * The token table's layout, in one place for both sides that depend on it: the DynamoDB adapter
 * (shared/adapters/aws/dynamodb-token-item.ts, dynamodb-token-store.ts, create-token-table.ts)
 * and the construct (packages/cdk/src/credential-broker.ts: the table's key schema and TTL, and
 * the functions' `dynamodb:LeadingKeys` condition). The IAM condition is only as tight as this
 * agreement: if the adapter wrote a partition key the grant does not name, every call would be
 * denied; if the grant named a wider prefix, one credential's function could read another's items.
 *
 * One table, `pk` HASH + `sk` RANGE (both strings); every item of a credential lives in the
 * partition `CRED#<credentialId>`; `ttl` (epoch seconds) only garbage-collects.
 */

const CREDENTIAL_PARTITION_PREFIX = 'CRED#';
export const VARIANT_PREFIX = 'VARIANT#';
export const MINT_PREFIX = 'MINT#';
export const HOLD_SORT_KEY = 'HOLD#throttle';

/** The partition that holds every item of one credential (and the LeadingKeys value granting it). */
export const credentialPartitionKey = (credentialId: string): string =>
  `${CREDENTIAL_PARTITION_PREFIX}${credentialId}`;

/** The credential a partition key names, or undefined when it is not a credential's partition. */
export const credentialIdOfPartition = (pk: string): string | undefined =>
  pk.startsWith(CREDENTIAL_PARTITION_PREFIX) ? pk.slice(CREDENTIAL_PARTITION_PREFIX.length) : undefined;

/** Every attribute name of every item kind. */
export const ATTR = {
  pk: 'pk',
  sk: 'sk',
  credentialId: 'credentialId',
  variantId: 'variantId',
  kind: 'kind',
  params: 'params',
  version: 'version',
  ttl: 'ttl',
  lastUsedAt: 'lastUsedAt',
  keyRef: 'keyRef',
  encryptedKey: 'encryptedKey',
  iv: 'iv',
  tag: 'tag',
  ciphertext: 'ciphertext',
  fingerprint: 'fingerprint',
  issuedAt: 'issuedAt',
  expiresAt: 'expiresAt',
  refreshAt: 'refreshAt',
  refreshableUntil: 'refreshableUntil',
  readableExpiry: 'readableExpiry',
  secretVersionId: 'secretVersionId',
  renewalMs: 'renewalMs',
  leaseId: 'leaseId',
  leaseOwner: 'leaseOwner',
  leaseAt: 'leaseAt',
  leaseMs: 'leaseMs',
  failureId: 'failureId',
  failureCode: 'failureCode',
  failureAt: 'failureAt',
  failureHoldMs: 'failureHoldMs',
  failureCount: 'failureCount',
  failureSince: 'failureSince',
  failureUnhealthyAt: 'failureUnhealthyAt',
  holdId: 'holdId',
  holdCode: 'holdCode',
  holdAt: 'holdAt',
  holdMs: 'holdMs',
  holdUntil: 'holdUntil',
  instanceId: 'instanceId',
  via: 'via',
} as const;

/** The key schema and TTL attribute (string keys; the construct and create-token-table build the table from these). */
export const TABLE_KEY = { partition: ATTR.pk, sort: ATTR.sk } as const;
export const TTL_ATTRIBUTE = ATTR.ttl;
