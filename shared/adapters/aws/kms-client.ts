import { KMSClient } from '@aws-sdk/client-kms';
import { sdkDeadlines } from './sdk-deadlines.ts';

export interface KmsClientOptions {
  /** Defaults to the SDK's own resolution (the Lambda runtime's region). */
  readonly region?: string;
  /** Deadline for one HTTP attempt (connect and whole request). */
  readonly timeoutMs: number;
}

/** A KMS client on which every call has a deadline (see sdkDeadlines). */
export const makeKmsClient = ({ region, timeoutMs }: KmsClientOptions): KMSClient =>
  new KMSClient({ ...(region === undefined ? {} : { region }), ...sdkDeadlines('KMS', timeoutMs) });
