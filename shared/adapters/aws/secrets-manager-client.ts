import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigInvalidError } from '../../core/errors.ts';

export interface SecretsManagerClientOptions {
  /** Defaults to the SDK's own resolution (the Lambda runtime's region). */
  readonly region?: string;
  /** Deadline for one HTTP attempt (connect and whole request). */
  readonly timeoutMs: number;
}

/**
 * A Secrets Manager client with deadlines. The SDK's defaults have no request timeout, so a
 * black-holed connection would hold a Lambda until its own timeout; here one attempt is bounded
 * and there is at most one retry, because the broker retries at one layer (its own backoff).
 */
export const makeSecretsManagerClient = ({
  region,
  timeoutMs,
}: SecretsManagerClientOptions): SecretsManagerClient => {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ConfigInvalidError('The Secrets Manager timeout must be a positive number of milliseconds.');
  }
  return new SecretsManagerClient({
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
