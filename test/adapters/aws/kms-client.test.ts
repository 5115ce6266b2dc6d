import { describe, expect, it } from 'vitest';
import { makeKmsClient } from '../../../shared/adapters/aws/kms-client.ts';
import { ConfigInvalidError } from '../../../shared/core/errors.ts';

// The SDK keeps the handler options it was given behind a promise; reading them is the only way to
// check the deadlines without a network round trip.
const handlerOptions = async (requestHandler: unknown): Promise<Record<string, unknown>> =>
  (requestHandler as { configProvider: Promise<Record<string, unknown>> }).configProvider;

describe('makeKmsClient', () => {
  it('bounds every attempt by the timeout, throws when it passes, and tries at most twice', async () => {
    const client = makeKmsClient({ region: 'eu-west-1', timeoutMs: 1500 });
    expect(await client.config.maxAttempts()).toBe(2);
    expect(await client.config.region()).toBe('eu-west-1');
    expect(await handlerOptions(client.config.requestHandler)).toMatchObject({
      requestTimeout: 1500,
      connectionTimeout: 1500,
      throwOnRequestTimeout: true,
    });
  });

  it('refuses a missing, zero or negative timeout at construction', () => {
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => makeKmsClient({ timeoutMs })).toThrow(ConfigInvalidError);
    }
  });
});
