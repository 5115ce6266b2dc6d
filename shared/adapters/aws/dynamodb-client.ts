import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { sdkDeadlines } from './sdk-deadlines.ts';

export interface DynamoDbClientOptions {
  /** Only for DynamoDB-compatible servers (dynalite, DynamoDB Local); AWS is found from the region. */
  readonly endpoint?: string;
  readonly region: string;
  /** Deadline of one attempt: connecting, and the whole request and response. */
  readonly timeoutMs: number;
  /** Defaults to the SDK's provider chain (the Lambda role). */
  readonly credentials?: DynamoDBClientConfig['credentials'];
  /**
   * Concurrent connections (the SDK's default is 50). A Lambda instance serves one request at a
   * time; a long-lived local or test process with many concurrent waiters may need more, because
   * a request queued for a socket spends its deadline in the queue.
   */
  readonly maxSockets?: number;
}

/**
 * A DynamoDB client on which every network call has a deadline. The SDK's defaults wait forever on
 * a black-holed connection, which would turn a store outage into request timeouts instead of the
 * broker's fast STORE_UNAVAILABLE; two attempts bound the worst case at about 2 × timeoutMs plus
 * one short backoff, and leave retrying at a larger scale to the one layer that owns it.
 */
export const makeDynamoDbClient = ({
  endpoint,
  region,
  timeoutMs,
  credentials,
  maxSockets,
}: DynamoDbClientOptions): DynamoDBClient =>
  new DynamoDBClient({
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
    ...sdkDeadlines('DynamoDB', timeoutMs, maxSockets),
  });
