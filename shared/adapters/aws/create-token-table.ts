import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE_KEY, TTL_ATTRIBUTE } from '../../config/token-table-layout.ts';
import { StoreUnavailableError } from '../../core/errors.ts';
import { storeUnavailable } from './dynamodb-error.ts';

export interface CreateTokenTableOptions {
  /** How long to wait for the table to become ACTIVE (AWS takes seconds, dynalite milliseconds). */
  readonly activeTimeoutMs?: number;
}

const errorName = (error: unknown): string => (error instanceof Error ? error.name : '');

/**
 * Creates the token table (layout: shared/config/token-table-layout.ts) for local mode and tests, and waits until
 * it is ACTIVE; deployed stacks get theirs from the CDK construct. Idempotent: an existing table
 * is waited for, not an error. TTL is enabled where the server supports it (dynalite does not,
 * which is harmless: expiry never depends on TTL).
 */
export const createTokenTable = async (
  client: DynamoDBClient,
  tableName: string,
  { activeTimeoutMs = 60_000 }: CreateTokenTableOptions = {},
): Promise<void> => {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: TABLE_KEY.partition, AttributeType: 'S' },
          { AttributeName: TABLE_KEY.sort, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TABLE_KEY.partition, KeyType: 'HASH' },
          { AttributeName: TABLE_KEY.sort, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    // Another process (or an earlier run) created it: fine, as long as it becomes ACTIVE.
    if (errorName(error) !== 'ResourceInUseException')
      throw storeUnavailable('CreateTable', tableName, error);
  }

  const deadline = Date.now() + activeTimeoutMs;
  for (let pauseMs = 20; ; pauseMs = Math.min(pauseMs * 2, 1_000)) {
    let status: string | undefined;
    try {
      status = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus;
    } catch (error) {
      // Right after CreateTable, DescribeTable may briefly not see the table yet.
      if (errorName(error) !== 'ResourceNotFoundException')
        throw storeUnavailable('DescribeTable', tableName, error);
    }
    if (status === 'ACTIVE') break;
    if (Date.now() >= deadline) {
      throw new StoreUnavailableError(`DynamoDB table ${tableName} did not become ACTIVE in time.`, {
        details: { table: tableName, status: status ?? 'missing', timeoutMs: activeTimeoutMs },
      });
    }
    await sleep(pauseMs);
  }

  await enableTimeToLive(client, tableName);
};

const enableTimeToLive = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  try {
    const { TimeToLiveDescription: ttl } = await client.send(
      new DescribeTimeToLiveCommand({ TableName: tableName }),
    );
    // Enabling again is a ValidationException on AWS, so an already enabled TTL is left alone.
    if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') return;
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (error) {
    // dynalite implements neither the TTL update nor deletion; garbage collection is all TTL is for.
    if (errorName(error) === 'UnknownOperationException') return;
    throw storeUnavailable('UpdateTimeToLive', tableName, error);
  }
};
