import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sdkDeadlines } from './sdk-deadlines.ts';

export interface SecretsManagerClientOptions {
  /** Defaults to the SDK's own resolution (the Lambda runtime's region). */
  readonly region?: string;
  /** Deadline for one HTTP attempt (connect and whole request). */
  readonly timeoutMs: number;
}

/** A Secrets Manager client on which every call has a deadline (see sdkDeadlines). */
export const makeSecretsManagerClient = ({
  region,
  timeoutMs,
}: SecretsManagerClientOptions): SecretsManagerClient =>
  new SecretsManagerClient({
    ...(region === undefined ? {} : { region }),
    ...sdkDeadlines('Secrets Manager', timeoutMs),
  });
