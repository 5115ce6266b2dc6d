import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startEmbeddedDynamo } from '../../dev/local/embedded-dynamodb.ts';
import { createTokenTable } from '../../shared/adapters/aws/create-token-table.ts';
import { makeDynamoDbClient } from '../../shared/adapters/aws/dynamodb-client.ts';

/**
 * The one way tests reach DynamoDB. By default each call starts an in-memory dynalite on a free
 * loopback port; with `DYNAMODB_ENDPOINT` set (DynamoDB Local, or a real AWS endpoint such as
 * `https://dynamodb.us-east-1.amazonaws.com`) the same tests run against that server instead, in
 * `AWS_REGION` (default us-east-1), with the default credential chain when AWS credentials are
 * configured and dummy ones otherwise.
 *
 * Typical use, once per test file:
 *
 *   let dynamo: TestDynamo;
 *   let tableName: string;
 *   beforeAll(async () => { dynamo = await startTestDynamo(); tableName = await createTestTable(dynamo.client); });
 *   afterAll(() => dynamo.stop());
 */
export interface TestDynamo {
  /** A client with per-request deadlines, as production builds it (makeDynamoDbClient). */
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  /** Whether this is dynalite started by this module (false: DYNAMODB_ENDPOINT). */
  readonly embedded: boolean;
  /** The static credentials `client` uses, when not the default chain (for tests that build their own client). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Deletes the tables created through createTestTable on an external endpoint, then stops everything. */
  stop(): Promise<void>;
}

/** Long enough for a loaded 2-core CI machine, short enough that a hung server fails the test quickly. */
const TEST_TIMEOUT_MS = 5_000;

const createdTables = new WeakMap<DynamoDBClient, string[]>();

const hasAwsCredentials = (): boolean =>
  [
    'AWS_ACCESS_KEY_ID',
    'AWS_PROFILE',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  ].some((name) => (process.env[name] ?? '') !== '');

const DUMMY_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export const startTestDynamo = async (): Promise<TestDynamo> => {
  const external = process.env.DYNAMODB_ENDPOINT;
  if (external !== undefined && external !== '') {
    const client = makeDynamoDbClient({
      endpoint: external,
      region: process.env.AWS_REGION ?? 'us-east-1',
      timeoutMs: TEST_TIMEOUT_MS,
      ...(hasAwsCredentials() ? {} : { credentials: DUMMY_CREDENTIALS }),
    });
    createdTables.set(client, []);
    return {
      client,
      endpoint: external,
      embedded: false,
      ...(hasAwsCredentials() ? {} : { credentials: DUMMY_CREDENTIALS }),
      async stop() {
        // Tables on a shared server outlive the run otherwise (and cost money on AWS).
        await Promise.allSettled(
          (createdTables.get(client) ?? []).map((TableName) =>
            client.send(new DeleteTableCommand({ TableName })),
          ),
        );
        client.destroy();
      },
    };
  }

  const server = await startEmbeddedDynamo();
  const client = makeDynamoDbClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    timeoutMs: TEST_TIMEOUT_MS,
    credentials: DUMMY_CREDENTIALS,
  });
  createdTables.set(client, []);
  return {
    client,
    endpoint: server.endpoint,
    embedded: true,
    credentials: DUMMY_CREDENTIALS,
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
};

/**
 * Creates a token table (the production layout, via createTokenTable) with a name unique to this
 * process and call, so test files running in parallel against one external server never collide.
 */
export const createTestTable = async (client: DynamoDBClient, label = 'tokens'): Promise<string> => {
  const tableName = `ccb-test-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
  await createTokenTable(client, tableName);
  createdTables.get(client)?.push(tableName);
  return tableName;
};
