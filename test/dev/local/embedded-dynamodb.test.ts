import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../../dev/local/embedded-dynamodb.ts';
import { createTokenTable } from '../../../shared/adapters/aws/create-token-table.ts';
import { makeDynamoDbClient } from '../../../shared/adapters/aws/dynamodb-client.ts';
import { makeDynamoDbTokenStore } from '../../../shared/adapters/aws/dynamodb-token-store.ts';
import { StoreUnavailableError } from '../../../shared/core/errors.ts';
import type { TokenRecord } from '../../../shared/core/token-store.ts';

/**
 * A pid no process can have (above Linux's PID_MAX_LIMIT and any other system's): a holder that
 * "no longer runs" without relying on a just-exited pid staying unused on a busy machine.
 */
const NO_SUCH_PID = 0x7fffffff;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const start = async (options?: Parameters<typeof startEmbeddedDynamo>[0]): Promise<EmbeddedDynamo> => {
  const server = await startEmbeddedDynamo(options);
  cleanups.push(() => server.stop());
  return server;
};

const clientFor = (server: EmbeddedDynamo): DynamoDBClient => {
  const client = makeDynamoDbClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    timeoutMs: 5_000,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  cleanups.push(async () => client.destroy());
  return client;
};

const tempFolder = async (): Promise<string> => {
  const folder = await mkdtemp(join(tmpdir(), 'ccb-dynalite-'));
  cleanups.push(() => rm(folder, { recursive: true, force: true }));
  return join(folder, 'db');
};

const tableNames = async (server: EmbeddedDynamo): Promise<string[]> =>
  (await clientFor(server).send(new ListTablesCommand({}))).TableNames ?? [];

const TOKEN: TokenRecord = {
  envelope: { keyRef: 'local:k', iv: 'aXY=', tag: 'dGFn', ciphertext: 'Y2lwaGVydGV4dA==' },
  fingerprint: '0123456789abcdef',
  issuedAt: 1_700_000_000_000,
  expiresAt: 1_700_003_600_000,
  refreshAt: 1_700_002_700_000,
  readableExpiry: false,
  secretVersionId: 'v1',
};

describe('embedded DynamoDB (dynalite)', () => {
  it('serves the DynamoDB API on a free loopback port', async () => {
    const first = await start();
    const second = await start();
    expect(first.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(second.endpoint).not.toBe(first.endpoint);
    expect(await tableNames(first)).toEqual([]);
  });

  it('listens on the port it is given', async () => {
    // A port found free can be taken by any other process on the machine (another broker, a
    // simulator, an outgoing connection) before dynalite binds it: a fresh one is tried then.
    for (let attempt = 1; ; attempt += 1) {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const { port } = probe.address() as { port: number };
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      try {
        const server = await start({ port });
        expect(server.endpoint).toBe(`http://127.0.0.1:${port}`);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw error;
      }
    }
  });

  it('makes new tables ACTIVE at once', async () => {
    const server = await start();
    await createTokenTable(clientFor(server), 'tokens', { activeTimeoutMs: 2_000 });
    expect(await tableNames(server)).toEqual(['tokens']);
  });

  it('keeps nothing after a restart when running in memory', async () => {
    const server = await start();
    await createTokenTable(clientFor(server), 'tokens');
    await server.stop();
    expect(await tableNames(await start())).toEqual([]);
  });

  it('keeps tables and tokens across a stop and start under a folder', async () => {
    const path = await tempFolder();
    const key = { credentialId: 'persisted', variantId: 'v1' };

    const before = await start({ path });
    const beforeClient = clientFor(before);
    await createTokenTable(beforeClient, 'tokens');
    const writer = makeDynamoDbTokenStore({
      client: beforeClient,
      tableName: 'tokens',
      mintHistoryMs: 86_400_000,
    });
    const lease = { id: 'l1', owner: 'i1', at: 1, ms: 15_000 };
    expect(await writer.acquireLease(key, { kind: 'inst-access', params: {} }, lease, { version: 0 })).toBe(
      true,
    );
    expect(await writer.putToken(key, 'l1', 0, TOKEN)).toBe(true);
    await before.stop();

    const after = await start({ path });
    const reader = makeDynamoDbTokenStore({
      client: clientFor(after),
      tableName: 'tokens',
      mintHistoryMs: 86_400_000,
    });
    const item = await reader.read(key);
    expect(item?.version).toBe(1);
    expect(item?.token).toEqual(TOKEN);
  });

  it('refuses a second server on a folder in use, with a clear error instead of a crash', async () => {
    const path = await tempFolder();
    const first = await start({ path });
    const error = await startEmbeddedDynamo({ path }).then(
      async (unexpected) => {
        await unexpected.stop();
        return undefined;
      },
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain(`in use by process ${process.pid}`);
    // The first server is unharmed, and the folder is free again once it stops.
    expect(await tableNames(first)).toEqual([]);
    await first.stop();
    expect(await tableNames(await start({ path }))).toEqual([]);
  });

  it('takes over a folder left claimed by a process that no longer runs', async () => {
    const path = await tempFolder();
    const server = await start({ path });
    await server.stop();
    await writeFile(join(path, 'embedded-dynamo.pid'), String(NO_SUCH_PID));
    expect(await tableNames(await start({ path }))).toEqual([]);
  });

  it('can be stopped twice', async () => {
    const server = await start();
    await server.stop();
    await expect(server.stop()).resolves.toBeUndefined();
  });
});
