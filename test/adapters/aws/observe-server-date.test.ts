import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDynamoDbClient } from '../../../shared/adapters/aws/dynamodb-client.ts';
import { observeServerDate } from '../../../shared/adapters/aws/observe-server-date.ts';
import type { DateSample } from '../../../shared/core/clock-offset.ts';
import { startTestDynamo, type TestDynamo } from '../../support/dynamodb.ts';
import { makeFakeClock } from '../../support/fake-clock.ts';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(() => dynamo.stop());

describe('observeServerDate', () => {
  it('reports the Date of every DynamoDB response against the instance clock', async () => {
    const clock = makeFakeClock(Date.UTC(2020, 0, 1)); // years off: the sample must show it
    const client = makeDynamoDbClient({
      endpoint: dynamo.endpoint,
      region: await dynamo.client.config.region(),
      timeoutMs: 5_000,
      ...(dynamo.credentials ? { credentials: dynamo.credentials } : {}),
    });
    const samples: DateSample[] = [];
    observeServerDate(client, clock, (sample) => samples.push(sample));
    await client.send(new ListTablesCommand({}));
    client.destroy();
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({ sentAt: clock.now(), receivedAt: clock.now() });
    // The server's Date is its own (wall) time, a whole second.
    expect(samples[0]!.serverDate % 1000).toBe(0);
    expect(samples[0]!.serverDate).toBeGreaterThan(Date.UTC(2024, 0, 1));
  });
});
