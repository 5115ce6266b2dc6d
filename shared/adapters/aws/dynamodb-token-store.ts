import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  ATTR,
  credentialPartitionKey,
  MINT_PREFIX,
  VARIANT_PREFIX,
} from '../../config/token-table-layout.ts';
import { StoreUnavailableError } from '../../core/errors.ts';
import type {
  CredentialHold,
  MintRecord,
  StoredVariant,
  TokenStore,
  VariantKey,
} from '../../core/token-store.ts';
import { isConditionFailure, storeUnavailable, wasRetried } from './dynamodb-error.ts';
import { makeExpressionBuilder } from './dynamodb-expression.ts';
import {
  credentialHoldAttributes,
  credentialHoldKey,
  DAY_MS,
  FAILURE_ATTRIBUTES,
  failureAttributes,
  type Item,
  LEASE_ATTRIBUTES,
  leaseAttributes,
  mintItem,
  n,
  parseCredentialHold,
  parseMintItem,
  parseVariantItem,
  s,
  TOKEN_ATTRIBUTES,
  tokenAttributes,
  ttlSeconds,
  variantItemKey,
  variantKeyOf,
} from './dynamodb-token-item.ts';

export interface DynamoDbTokenStoreDeps {
  /** A client with per-request deadlines (see makeDynamoDbClient). */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long mint records are kept before DynamoDB TTL may collect them. */
  readonly mintHistoryMs: number;
}

/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;
/** Retries of UnprocessedItems (DynamoDB throttling a batch); bounded, with doubling pauses. */
const BATCH_RETRIES = 5;
const BATCH_RETRY_BASE_MS = 25;

/**
 * The shared tier on one DynamoDB table (layout in dynamodb-token-item.ts). Every read that decides
 * correctness is strongly consistent; every state change is one conditional UpdateItem, so DynamoDB
 * itself arbitrates between instances. A failed condition answers false; any other failure is a
 * StoreUnavailableError naming the operation and table (never item contents).
 */
export const makeDynamoDbTokenStore = ({
  client,
  tableName,
  mintHistoryMs,
}: DynamoDbTokenStoreDeps): TokenStore => {
  const call = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw storeUnavailable(operation, tableName, error);
    }
  };

  /**
   * One conditional UpdateItem. `settle` decides the answer when the condition failed on an SDK retry:
   * the first attempt may have been applied and only its response lost, and a false "lost" would make
   * a lease winner or a successful writer believe it failed.
   */
  const conditionalUpdate = async (
    operation: string,
    input: Omit<UpdateItemCommandInput, 'TableName'>,
    settle?: () => Promise<boolean>,
  ): Promise<boolean> => {
    try {
      await client.send(new UpdateItemCommand({ TableName: tableName, ...input }));
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw storeUnavailable(operation, tableName, error);
      return settle !== undefined && wasRetried(error) ? settle() : false;
    }
  };

  const queryAll = async (
    operation: string,
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
    enough: (items: readonly Item[]) => boolean = () => false,
  ): Promise<Item[]> => {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await call(operation, () =>
        client.send(new QueryCommand({ TableName: tableName, ...input, ExclusiveStartKey: startKey })),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && !enough(items));
    return items;
  };

  const variantItemsOf = (
    operation: string,
    credentialId: string,
    projection?: string[],
  ): Promise<Item[]> => {
    const x = makeExpressionBuilder();
    return queryAll(operation, {
      KeyConditionExpression: `${x.name(ATTR.pk)} = ${x.value(s(credentialPartitionKey(credentialId)))} AND begins_with(${x.name(ATTR.sk)}, ${x.value(s(VARIANT_PREFIX))})`,
      ...(projection === undefined ? {} : { ProjectionExpression: projection.map(x.name).join(', ') }),
      ExpressionAttributeNames: x.names,
      ExpressionAttributeValues: x.values,
      // Pre-warm and listings act on what they read; an eventually consistent page could be minutes old.
      ConsistentRead: true,
    });
  };

  const read = async (key: VariantKey): Promise<StoredVariant | undefined> => {
    const output = await call('GetItem', () =>
      client.send(
        new GetItemCommand({ TableName: tableName, Key: variantItemKey(key), ConsistentRead: true }),
      ),
    );
    return output.Item === undefined ? undefined : parseVariantItem(output.Item, key, tableName);
  };

  const readCredentialHold = async (credentialId: string): Promise<CredentialHold | undefined> => {
    const output = await call('GetItem (readCredentialHold)', () =>
      client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: credentialHoldKey(credentialId),
          ConsistentRead: true,
        }),
      ),
    );
    return output.Item === undefined ? undefined : parseCredentialHold(output.Item);
  };

  const deleteBatch = async (requests: WriteRequest[]): Promise<void> => {
    let pending = requests;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > BATCH_RETRIES) {
        throw new StoreUnavailableError(
          `DynamoDB BatchWriteItem on table ${tableName} left ${pending.length} deletions unprocessed.`,
          { details: { operation: 'BatchWriteItem', table: tableName, unprocessed: pending.length } },
        );
      }
      if (attempt > 0) await sleep(BATCH_RETRY_BASE_MS * 2 ** (attempt - 1));
      const batch = pending;
      const output = await call('BatchWriteItem', () =>
        client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } })),
      );
      pending = output.UnprocessedItems?.[tableName] ?? [];
    }
  };

  return {
    read,

    async list(credentialId) {
      const items = await variantItemsOf('Query', credentialId);
      return items.map((item) => {
        const key = variantKeyOf(item);
        if (key === undefined) {
          throw new StoreUnavailableError(
            `DynamoDB table ${tableName} holds a token item with a malformed key.`,
            {
              details: { table: tableName, credentialId },
            },
          );
        }
        return parseVariantItem(item, key, tableName);
      });
    },

    async acquireLease(key, init, lease, expected) {
      const x = makeExpressionBuilder();
      const version = x.name(ATTR.version);
      const leaseId = x.name(ATTR.leaseId);
      const failureId = x.name(ATTR.failureId);
      const seenVersion = x.value(n(expected.version));
      const conditions = [
        // The taker decided on what it saw at this version; a token written since makes that stale.
        // At version 0 the item may not exist yet: the first lease creates it.
        expected.version === 0
          ? `(attribute_not_exists(${x.name(ATTR.pk)}) OR ${version} = ${seenVersion})`
          : `${version} = ${seenVersion}`,
        // Take over exactly the lease the taker watched expire, never one granted after it looked.
        expected.leaseId === undefined
          ? `attribute_not_exists(${leaseId})`
          : `${leaseId} = ${x.value(s(expected.leaseId))}`,
        // Same for failure memory: only a hold the taker saw pass (a newer failure restarts the wait).
        expected.failureId === undefined
          ? `attribute_not_exists(${failureId})`
          : `${failureId} = ${x.value(s(expected.failureId))}`,
      ];
      const sets = Object.entries(leaseAttributes(lease)).map(
        ([name, value]) => `${x.name(name)} = ${x.value(value)}`,
      );
      // Written only when the lease creates the item; an existing item keeps its own values.
      const onCreate = {
        [ATTR.version]: n(0),
        [ATTR.kind]: s(init.kind),
        [ATTR.params]: s(JSON.stringify(init.params)),
        [ATTR.credentialId]: s(key.credentialId),
        [ATTR.variantId]: s(key.variantId),
        // Collects an item whose refresh never produced a token; putToken moves it past the token's expiry.
        [ATTR.ttl]: n(ttlSeconds(lease.at + lease.ms + DAY_MS)),
      };
      for (const [name, value] of Object.entries(onCreate)) {
        const placeholder = x.name(name);
        sets.push(`${placeholder} = if_not_exists(${placeholder}, ${x.value(value)})`);
      }
      // The failure record is deliberately kept: its `count` drives the next backoff if this refresh fails too.
      return conditionalUpdate(
        'UpdateItem (acquireLease)',
        {
          Key: variantItemKey(key),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeNames: x.names,
          ExpressionAttributeValues: x.values,
        },
        async () => (await read(key))?.lease?.id === lease.id,
      );
    },

    async putToken(key, leaseId, version, token) {
      const x = makeExpressionBuilder();
      const update = x.update(
        {
          ...tokenAttributes(token),
          [ATTR.version]: n(version + 1),
          // Garbage collection only, a day after expiry; serving is always decided by expiresAt.
          [ATTR.ttl]: n(ttlSeconds(token.expiresAt + DAY_MS)),
        },
        [...LEASE_ATTRIBUTES, ...FAILURE_ATTRIBUTES],
      );
      return conditionalUpdate(
        'UpdateItem (putToken)',
        {
          Key: variantItemKey(key),
          UpdateExpression: update,
          // Fencing: the writer must still hold its lease and the item must be at the version it leased.
          // A paused writer whose lease was taken over, or whose version moved on, is rejected.
          ConditionExpression: `${x.name(ATTR.leaseId)} = ${x.value(s(leaseId))} AND ${x.name(ATTR.version)} = ${x.value(n(version))}`,
          ExpressionAttributeNames: x.names,
          ExpressionAttributeValues: x.values,
        },
        async () => {
          const current = await read(key);
          return (
            current?.version === version + 1 &&
            current.token?.fingerprint === token.fingerprint &&
            current.token.issuedAt === token.issuedAt
          );
        },
      );
    },

    async putFailure(key, leaseId, failure) {
      const x = makeExpressionBuilder();
      const update = x.update(failureAttributes(failure), LEASE_ATTRIBUTES);
      return conditionalUpdate(
        'UpdateItem (putFailure)',
        {
          Key: variantItemKey(key),
          UpdateExpression: update,
          // Only the lease holder may record the outcome of its refresh (a taken-over holder may not).
          ConditionExpression: `${x.name(ATTR.leaseId)} = ${x.value(s(leaseId))}`,
          ExpressionAttributeNames: x.names,
          ExpressionAttributeValues: x.values,
        },
        async () => (await read(key))?.failure?.id === failure.id,
      );
    },

    async releaseLease(key, leaseId) {
      const x = makeExpressionBuilder();
      const update = x.update({}, LEASE_ATTRIBUTES);
      // Releasing someone else's lease would let a third instance refresh concurrently; a lost
      // lease (condition failure) is already released, so there is nothing to report.
      await conditionalUpdate('UpdateItem (releaseLease)', {
        Key: variantItemKey(key),
        UpdateExpression: update,
        ConditionExpression: `${x.name(ATTR.leaseId)} = ${x.value(s(leaseId))}`,
        ExpressionAttributeNames: x.names,
        ExpressionAttributeValues: x.values,
      });
    },

    async touch(key, at) {
      const x = makeExpressionBuilder();
      const lastUsedAt = x.name(ATTR.lastUsedAt);
      const atValue = x.value(n(at));
      // Never create an item (a purged variant stays purged) and never move lastUsedAt backwards
      // (an instance with a slow clock must not make a busy variant look idle to pre-warm).
      await conditionalUpdate('UpdateItem (touch)', {
        Key: variantItemKey(key),
        UpdateExpression: `SET ${lastUsedAt} = ${atValue}`,
        ConditionExpression: `attribute_exists(${x.name(ATTR.pk)}) AND (attribute_not_exists(${lastUsedAt}) OR ${lastUsedAt} < ${atValue})`,
        ExpressionAttributeNames: x.names,
        ExpressionAttributeValues: x.values,
      });
    },

    async invalidate(key, fingerprint) {
      const x = makeExpressionBuilder();
      // The version stays: it keeps fencing monotonic (a writer that leased an older version stays
      // rejected) and keeps every ciphertext bound to a version that is never reused for this item.
      const update = x.update({}, TOKEN_ATTRIBUTES);
      return conditionalUpdate('UpdateItem (invalidate)', {
        Key: variantItemKey(key),
        UpdateExpression: update,
        // Only the token the reporter actually used; a stale report must not evict a newer token.
        ConditionExpression: `${x.name(ATTR.fingerprint)} = ${x.value(s(fingerprint))}`,
        ExpressionAttributeNames: x.names,
        ExpressionAttributeValues: x.values,
      });
    },

    async purge(credentialId) {
      const items = await variantItemsOf('Query (purge)', credentialId, [ATTR.pk, ATTR.sk]);
      for (let start = 0; start < items.length; start += BATCH_SIZE) {
        await deleteBatch(
          items.slice(start, start + BATCH_SIZE).map((item) => ({
            DeleteRequest: { Key: { [ATTR.pk]: item[ATTR.pk]!, [ATTR.sk]: item[ATTR.sk]! } },
          })),
        );
      }
      return items.length;
    },

    readCredentialHold,

    async putCredentialHold(credentialId, hold) {
      const x = makeExpressionBuilder();
      const update = x.update(credentialHoldAttributes(hold));
      const until = x.value(n(hold.at + hold.ms));
      return conditionalUpdate(
        'UpdateItem (putCredentialHold)',
        {
          Key: credentialHoldKey(credentialId),
          UpdateExpression: update,
          // Two instances throttled at once both write; the hold that ends later wins, whatever the order.
          ConditionExpression: `attribute_not_exists(${x.name(ATTR.pk)}) OR ${x.name(ATTR.holdUntil)} < ${until}`,
          ExpressionAttributeNames: x.names,
          ExpressionAttributeValues: x.values,
        },
        async () => (await readCredentialHold(credentialId))?.id === hold.id,
      );
    },

    async recordMint(record: MintRecord) {
      await call('PutItem (recordMint)', () =>
        client.send(new PutItemCommand({ TableName: tableName, Item: mintItem(record, mintHistoryMs) })),
      );
    },

    async listMints(credentialId, limit) {
      if (!(limit > 0)) return [];
      const x = makeExpressionBuilder();
      const items = await queryAll(
        'Query (listMints)',
        {
          KeyConditionExpression: `${x.name(ATTR.pk)} = ${x.value(s(credentialPartitionKey(credentialId)))} AND begins_with(${x.name(ATTR.sk)}, ${x.value(s(MINT_PREFIX))})`,
          ExpressionAttributeNames: x.names,
          ExpressionAttributeValues: x.values,
          // Newest first: the sort key starts with the zero-padded issue time.
          ScanIndexForward: false,
          Limit: Math.min(Math.trunc(limit), 1000),
          ConsistentRead: true,
        },
        (collected) => collected.length >= limit,
      );
      return items
        .map(parseMintItem)
        .filter((record): record is MintRecord => record !== undefined)
        .slice(0, limit);
    },
  };
};
