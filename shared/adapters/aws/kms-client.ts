import { KMSClient } from '@aws-sdk/client-kms';
import { ConfigInvalidError } from '../../core/errors.ts';

export interface KmsClientOptions {
  /** Defaults to the SDK's own resolution (the Lambda runtime's region). */
  readonly region?: string;
  /** Deadline for one HTTP attempt (connect and whole request). */
  readonly timeoutMs: number;
}

/**
 * A KMS client with deadlines: the SDK's defaults have no request timeout, so a black-holed
 * connection would hold a request until the Lambda times out. One attempt is bounded and there is
 * at most one retry, because the broker retries at one layer (its own backoff).
 */
export const makeKmsClient = ({ region, timeoutMs }: KmsClientOptions): KMSClient => {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigInvalidError('The KMS timeout must be a positive number of milliseconds.');
  }
  return new KMSClient({
    ...(region === undefined ? {} : { region }),
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: timeoutMs,
      requestTimeout: timeoutMs,
      // Without this the handler only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    },
  });
};
