import { createCipheriv, randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import {
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo } from '../../../dev/local/embedded-dynamodb.ts';
import { createTokenTable } from '../../../shared/adapters/aws/create-token-table.ts';
import { makeDynamoDbClient } from '../../../shared/adapters/aws/dynamodb-client.ts';
import { makeDynamoDbTokenStore } from '../../../shared/adapters/aws/dynamodb-token-store.ts';
import { type BrokerError, StoreUnavailableError } from '../../../shared/core/errors.ts';
import { fingerprint } from '../../../shared/core/fingerprint.ts';
import type { TokenRecord, TokenStore, VariantKey } from '../../../shared/core/token-store.ts';
import { createTestTable, startTestDynamo, type TestDynamo } from '../../support/dynamodb.ts';
import { describeTokenStoreContract } from '../../support/token-store-contract.ts';

const DAY_MS = 86_400_000;
const MINT_HISTORY_MS = 30 * DAY_MS;
const T0 = 1_700_000_000_000;
const INIT = { kind: 'identity-service' as const, params: {} };
const DUMMY_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

let dynamo: TestDynamo;
let tableName: string;
let store: TokenStore;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  tableName = await createTestTable(dynamo.client, 'store');
  store = makeDynamoDbTokenStore({ client: dynamo.client, tableName, mintHistoryMs: MINT_HISTORY_MS });
});
afterAll(async () => {
  await dynamo?.stop();
});

// One table for the whole file: every contract test works on its own credential ids.
describeTokenStoreContract('DynamoDB', async () => ({ store, async teardown() {} }));

const keyOf = (variantId = 'v1'): VariantKey => ({
  credentialId: `cred-${randomBytes(6).toString('hex')}`,
  variantId,
});
const lease = (id: string) => ({ id, owner: 'instance-a', at: T0, ms: 15_000 });

/** A real AES-256-GCM envelope around `plaintext`, as the cipher adapter would hand it to the store. */
const sealedToken = (plaintext: string): TokenRecord => {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    envelope: {
      keyRef: 'local:test',
      encryptedKey: randomBytes(48).toString('base64'),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    },
    fingerprint: fingerprint(plaintext),
    issuedAt: T0,
    expiresAt: T0 + 3_600_000,
    refreshAt: T0 + 2_700_000,
    readableExpiry: true,
    secretVersionId: 'secret-version-1',
  };
};

const rawItem = async (key: VariantKey) =>
  (
    await dynamo.client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: `CRED#${key.credentialId}` }, sk: { S: `VARIANT#${key.variantId}` } },
        ConsistentRead: true,
      }),
    )
  ).Item;

const putRaw = (key: VariantKey, attributes: Record<string, unknown>) =>
  dynamo.client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: {
        pk: { S: `CRED#${key.credentialId}` },
        sk: { S: `VARIANT#${key.variantId}` },
        ...(attributes as Record<string, { S: string }>),
      },
    }),
  );

const expectStoreUnavailable = async (
  promise: Promise<unknown>,
  ...mentions: string[]
): Promise<BrokerError> => {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(StoreUnavailableError);
  const brokerError = error as BrokerError;
  expect(brokerError.code).toBe('STORE_UNAVAILABLE');
  expect(brokerError.retryable).toBe(true);
  for (const mention of mentions) expect(brokerError.message).toContain(mention);
  return brokerError;
};

describe('DynamoDB token store', () => {
  describe('list', () => {
    it('follows LastEvaluatedKey across Query pages, so a credential with 1 MB+ of variants lists whole', async () => {
      const first = keyOf('v000');
      await store.acquireLease(first, INIT, lease('a'), { version: 0 });
      await store.putToken(first, 'a', 0, sealedToken('x'));
      const template = (await rawItem(first))!;
      // 4 KB of padding each: 300 items are past a Query page's 1 MB limit.
      const padding = { S: 'p'.repeat(4096) };
      for (let i = 1; i < 300; i++) {
        const sk = { S: template.sk!.S!.replace(/v000$/, `v${String(i).padStart(3, '0')}`) };
        await dynamo.client.send(
          new PutItemCommand({ TableName: tableName, Item: { ...template, sk, padding } }),
        );
      }
      let queries = 0;
      const counting = {
        send: (command: unknown) => {
          if (command instanceof QueryCommand) queries += 1;
          return dynamo.client.send(command as QueryCommand);
        },
      } as unknown as DynamoDBClient;
      const paged = makeDynamoDbTokenStore({ client: counting, tableName, mintHistoryMs: MINT_HISTORY_MS });
      const listed = await paged.list(first.credentialId);
      expect(listed).toHaveLength(300);
      expect(new Set(listed.map((v) => v.key.variantId)).size).toBe(300);
      expect(queries).toBeGreaterThan(1);
    });
  });

  describe('item layout', () => {
    it('stores the token only as an envelope: no plaintext in the raw item', async () => {
      const plaintext = `canvas-token-${randomBytes(24).toString('hex')}`;
      const key = keyOf();
      await store.acquireLease(key, INIT, lease('a'), { version: 0 });
      await store.putToken(key, 'a', 0, sealedToken(plaintext));
      const raw = JSON.stringify(await rawItem(key));
      expect(raw).not.toContain(plaintext);
      expect(raw).not.toContain(Buffer.from(plaintext).toString('base64'));
      expect(raw).toContain(fingerprint(plaintext));
    });

    it('keys a variant by credential and variant, with a string envelope and a fencing version', async () => {
      const key = keyOf('abc123');
      const token = sealedToken('x');
      await store.acquireLease(key, INIT, lease('a'), { version: 0 });
      await store.putToken(key, 'a', 0, token);
      const item = await rawItem(key);
      expect(item?.pk).toEqual({ S: `CRED#${key.credentialId}` });
      expect(item?.sk).toEqual({ S: 'VARIANT#abc123' });
      expect(item?.version).toEqual({ N: '1' });
      expect(item?.ciphertext).toEqual({ S: token.envelope.ciphertext });
      expect(item?.encryptedKey).toEqual({ S: token.envelope.encryptedKey });
      expect(item?.credentialId).toEqual({ S: key.credentialId });
      expect(item?.variantId).toEqual({ S: 'abc123' });
      expect(item?.params).toEqual({ S: '{}' });
      expect(item?.leaseId).toBeUndefined();
    });

    it('sets ttl a day after expiry on a token item, for garbage collection only', async () => {
      const key = keyOf();
      await store.acquireLease(key, INIT, lease('a'), { version: 0 });
      expect(Number((await rawItem(key))?.ttl?.N)).toBe(Math.ceil((T0 + 15_000 + DAY_MS) / 1000));
      const token = sealedToken('x');
      await store.putToken(key, 'a', 0, token);
      expect(Number((await rawItem(key))?.ttl?.N)).toBe(Math.ceil((token.expiresAt + DAY_MS) / 1000));
    });

    it('keeps a credential hold in the credential partition, outside the variant prefix, with a ttl', async () => {
      const { credentialId } = keyOf();
      await store.putCredentialHold(credentialId, {
        id: 'h1',
        code: 'UPSTREAM_RETRYABLE',
        at: T0,
        ms: 120_000,
      });
      const { Item } = await dynamo.client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: `CRED#${credentialId}` }, sk: { S: 'HOLD#throttle' } },
          ConsistentRead: true,
        }),
      );
      expect(Item?.holdUntil).toEqual({ N: String(T0 + 120_000) });
      expect(Number(Item?.ttl?.N)).toBe(Math.ceil((T0 + 120_000 + DAY_MS) / 1000));
    });

    it('sets ttl on a mint record to its issue time plus the mint history', async () => {
      const key = keyOf('vm');
      await store.recordMint({
        key,
        fingerprint: 'f'.repeat(16),
        issuedAt: T0,
        expiresAt: T0 + 3_600_000,
        secretVersionId: 'sv',
        version: 3,
        instanceId: 'i-1',
        via: 'refresh',
      });
      const { Items } = await dynamo.client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: `CRED#${key.credentialId}` } },
          ConsistentRead: true,
        }),
      );
      expect(Items).toHaveLength(1);
      expect(Items?.[0]?.sk).toEqual({ S: `MINT#${String(T0).padStart(16, '0')}#vm#0000000003` });
      expect(Number(Items?.[0]?.ttl?.N)).toBe(Math.ceil((T0 + MINT_HISTORY_MS) / 1000));
    });
  });

  describe('malformed items', () => {
    const base = {
      kind: { S: 'identity-service' },
      params: { S: '{}' },
      version: { N: '2' },
    };

    it('fails closed with STORE_UNAVAILABLE when the fencing version is missing', async () => {
      const key = keyOf();
      await putRaw(key, { kind: base.kind, params: base.params });
      await expectStoreUnavailable(store.read(key), 'malformed', 'version', tableName);
      await expectStoreUnavailable(store.list(key.credentialId), 'malformed');
    });

    it('fails closed when kind or params cannot be read', async () => {
      const badKind = keyOf();
      await putRaw(badKind, { ...base, kind: { S: 'nonsense' } });
      await expectStoreUnavailable(store.read(badKind), 'kind');
      const badParams = keyOf();
      await putRaw(badParams, { ...base, params: { S: '{not json' } });
      await expectStoreUnavailable(store.read(badParams), 'params');
    });

    it('fails closed when a lease id is not a string, since no conditional write could match it', async () => {
      const key = keyOf();
      await putRaw(key, { ...base, leaseId: { N: '7' } });
      await expectStoreUnavailable(store.read(key), 'leaseId');
    });

    it('reads an incomplete token as no token, and the next fenced write heals the item', async () => {
      const key = keyOf();
      await putRaw(key, { ...base, ciphertext: { S: 'Y3Q=' }, fingerprint: { S: 'f'.repeat(16) } });
      const item = await store.read(key);
      expect(item?.token).toBeUndefined();
      expect(item?.version).toBe(2);
      expect(await store.acquireLease(key, INIT, lease('a'), { version: 2 })).toBe(true);
      const token = sealedToken('healed');
      expect(await store.putToken(key, 'a', 2, token)).toBe(true);
      expect((await store.read(key))?.token).toEqual(token);
    });

    it('reads a lease with an intact id but no timing as expired, so it can be taken over', async () => {
      const key = keyOf();
      await putRaw(key, { ...base, leaseId: { S: 'half-written' } });
      expect((await store.read(key))?.lease).toEqual({ id: 'half-written', owner: '', at: 0, ms: 0 });
      expect(await store.acquireLease(key, INIT, lease('b'), { version: 2, leaseId: 'half-written' })).toBe(
        true,
      );
    });

    it('reads a failure with an unknown code as INTERNAL', async () => {
      const key = keyOf();
      await putRaw(key, { ...base, failureId: { S: 'f1' }, failureCode: { S: 'no such code!' } });
      expect((await store.read(key))?.failure).toEqual({
        id: 'f1',
        code: 'INTERNAL',
        at: 0,
        holdMs: 0,
        count: 1,
      });
    });

    it('reads a credential hold with broken timing as passed and caps an absurd one at an hour', async () => {
      const credentialId = keyOf().credentialId;
      const put = (item: Record<string, { S: string } | { N: string }>) =>
        dynamo.client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { pk: { S: `CRED#${credentialId}` }, sk: { S: 'HOLD#throttle' }, ...item },
          }),
        );
      await put({ holdId: { S: 'h1' }, holdMs: { S: 'not a number' } });
      expect(await store.readCredentialHold(credentialId)).toEqual({
        id: 'h1',
        code: 'UPSTREAM_RETRYABLE',
        at: 0,
        ms: 0,
      });
      await put({ holdId: { S: 'h2' }, holdAt: { N: String(T0) }, holdMs: { N: '1e13' } });
      expect((await store.readCredentialHold(credentialId))?.ms).toBe(3_600_000);
      await put({ holdMs: { N: '5' } });
      expect(await store.readCredentialHold(credentialId)).toBeUndefined();
    });

    it('skips a corrupt mint record instead of failing the history', async () => {
      const key = keyOf('va');
      await dynamo.client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { pk: { S: `CRED#${key.credentialId}` }, sk: { S: 'MINT#9999999999999999#va#1' } },
        }),
      );
      await store.recordMint({
        key,
        fingerprint: 'f'.repeat(16),
        issuedAt: T0,
        expiresAt: T0 + 1,
        secretVersionId: 'sv',
        version: 1,
        instanceId: 'i',
        via: 'mint',
      });
      expect((await store.listMints(key.credentialId, 10)).map((record) => record.issuedAt)).toEqual([T0]);
    });
  });

  describe('error translation', () => {
    it('answers STORE_UNAVAILABLE naming the operation and table for a table that does not exist', async () => {
      const missing = makeDynamoDbTokenStore({
        client: dynamo.client,
        tableName: 'ccb-test-no-such-table',
        mintHistoryMs: MINT_HISTORY_MS,
      });
      const key = keyOf();
      const error = await expectStoreUnavailable(missing.read(key), 'GetItem', 'ccb-test-no-such-table');
      expect(error.cause).toBeInstanceOf(Error);
      expect(error.details).toMatchObject({ operation: 'GetItem', table: 'ccb-test-no-such-table' });
      await expectStoreUnavailable(missing.list(key.credentialId), 'Query');
      await expectStoreUnavailable(
        missing.acquireLease(key, INIT, lease('a'), { version: 0 }),
        'acquireLease',
      );
      await expectStoreUnavailable(missing.putToken(key, 'a', 0, sealedToken('x')), 'putToken');
      await expectStoreUnavailable(
        missing.putFailure(key, 'a', { id: 'f', code: 'INTERNAL', at: 0, holdMs: 0, count: 1 }),
      );
      await expectStoreUnavailable(missing.releaseLease(key, 'a'), 'releaseLease');
      await expectStoreUnavailable(missing.touch(key, T0), 'touch');
      await expectStoreUnavailable(missing.invalidate(key, 'f'), 'invalidate');
      await expectStoreUnavailable(missing.purge(key.credentialId), 'purge');
      await expectStoreUnavailable(missing.listMints(key.credentialId, 5), 'listMints');
    });

    it('never puts item contents into the error message', async () => {
      const key = keyOf();
      await store.acquireLease(key, INIT, lease('a'), { version: 0 });
      // Over DynamoDB's 400 KB item limit: the write fails with a ValidationException.
      const huge = {
        ...sealedToken('x'),
        envelope: { ...sealedToken('x').envelope, ciphertext: 'Q'.repeat(450_000) },
      };
      const error = await expectStoreUnavailable(store.putToken(key, 'a', 0, huge), 'putToken');
      expect(error.message).not.toContain('QQQQ');
      expect(error.message.length).toBeLessThan(200);
    });

    it('answers STORE_UNAVAILABLE when the server is down', async () => {
      const server = await startEmbeddedDynamo();
      await server.stop();
      const client = makeDynamoDbClient({
        endpoint: server.endpoint,
        region: 'us-east-1',
        timeoutMs: 1_000,
        credentials: DUMMY_CREDENTIALS,
      });
      try {
        const down = makeDynamoDbTokenStore({ client, tableName: 'tokens', mintHistoryMs: MINT_HISTORY_MS });
        await expectStoreUnavailable(down.read(keyOf()), 'GetItem', 'tokens');
        await expectStoreUnavailable(
          down.acquireLease(keyOf(), INIT, lease('a'), { version: 0 }),
          'acquireLease',
        );
      } finally {
        client.destroy();
      }
    });

    it('answers STORE_UNAVAILABLE within its deadline when the server accepts but never answers', async () => {
      const sockets = new Set<Socket>();
      const blackHole: Server = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
      const { port } = blackHole.address() as { port: number };
      const client = makeDynamoDbClient({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        timeoutMs: 150,
        credentials: DUMMY_CREDENTIALS,
      });
      try {
        const stuck = makeDynamoDbTokenStore({ client, tableName: 'tokens', mintHistoryMs: MINT_HISTORY_MS });
        const error = await expectStoreUnavailable(stuck.read(keyOf()), 'GetItem');
        expect(error.details?.errorName).toBe('TimeoutError');
      } finally {
        client.destroy();
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => blackHole.close(() => resolve()));
      }
    });
  });

  describe('a conditional write whose response was lost and that the SDK retried', () => {
    /** A client that loses the response of (or fails before sending) the next UpdateItem once. */
    const flakyClient = (): {
      client: DynamoDBClient;
      lose: (when: 'after-apply' | 'before-send') => void;
    } => {
      const client = makeDynamoDbClient({
        endpoint: dynamo.endpoint,
        region: process.env.AWS_REGION ?? 'us-east-1',
        timeoutMs: 5_000,
        ...(dynamo.credentials ? { credentials: dynamo.credentials } : {}),
      });
      let pending: 'after-apply' | 'before-send' | undefined;
      const lost = () => Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const mode = context.commandName === 'UpdateItemCommand' ? pending : undefined;
          if (mode === undefined) return next(args);
          pending = undefined;
          if (mode === 'before-send') throw lost();
          await next(args);
          throw lost();
        },
        { step: 'deserialize', name: 'loseOneUpdateItemResponse' },
      );
      return { client, lose: (when) => (pending = when) };
    };

    it('reports a lease it actually got as won', async () => {
      const { client, lose } = flakyClient();
      try {
        const flaky = makeDynamoDbTokenStore({ client, tableName, mintHistoryMs: MINT_HISTORY_MS });
        const key = keyOf();
        lose('after-apply');
        expect(await flaky.acquireLease(key, INIT, lease('a'), { version: 0 })).toBe(true);
        expect((await store.read(key))?.lease?.id).toBe('a');
      } finally {
        client.destroy();
      }
    });

    it('reports a token write that landed as written', async () => {
      const { client, lose } = flakyClient();
      try {
        const flaky = makeDynamoDbTokenStore({ client, tableName, mintHistoryMs: MINT_HISTORY_MS });
        const key = keyOf();
        await flaky.acquireLease(key, INIT, lease('a'), { version: 0 });
        lose('after-apply');
        expect(await flaky.putToken(key, 'a', 0, sealedToken('landed'))).toBe(true);
        expect((await store.read(key))?.version).toBe(1);
      } finally {
        client.destroy();
      }
    });

    it('still reports a lease someone else holds as lost', async () => {
      const { client, lose } = flakyClient();
      try {
        const flaky = makeDynamoDbTokenStore({ client, tableName, mintHistoryMs: MINT_HISTORY_MS });
        const key = keyOf();
        await store.acquireLease(key, INIT, lease('other'), { version: 0 });
        lose('before-send');
        expect(await flaky.acquireLease(key, INIT, lease('a'), { version: 0 })).toBe(false);
      } finally {
        client.destroy();
      }
    });
  });

  describe('createTokenTable', () => {
    it('is idempotent and leaves an ACTIVE table keyed by pk and sk', async () => {
      await createTokenTable(dynamo.client, tableName);
      const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
    });
  });

  describe('makeDynamoDbClient', () => {
    it('makes at most two attempts per call', async () => {
      const client = makeDynamoDbClient({
        region: 'us-east-1',
        timeoutMs: 1_000,
        credentials: DUMMY_CREDENTIALS,
      });
      try {
        expect(await client.config.maxAttempts()).toBe(2);
      } finally {
        client.destroy();
      }
    });

    it('queues requests beyond a configured socket pool instead of failing them', async () => {
      const client = makeDynamoDbClient({
        endpoint: dynamo.endpoint,
        region: process.env.AWS_REGION ?? 'us-east-1',
        timeoutMs: 5_000,
        maxSockets: 4,
        ...(dynamo.credentials ? { credentials: dynamo.credentials } : {}),
      });
      try {
        const pooled = makeDynamoDbTokenStore({ client, tableName, mintHistoryMs: MINT_HISTORY_MS });
        const reads = await Promise.all(Array.from({ length: 12 }, () => pooled.read(keyOf())));
        expect(reads.every((item) => item === undefined)).toBe(true);
      } finally {
        client.destroy();
      }
    });
  });
});
