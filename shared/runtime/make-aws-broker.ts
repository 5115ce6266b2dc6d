import { randomUUID } from 'node:crypto';
import { makeDynamoDbClient } from '../adapters/aws/dynamodb-client.ts';
import { makeDynamoDbTokenStore } from '../adapters/aws/dynamodb-token-store.ts';
import { observeServerDate } from '../adapters/aws/observe-server-date.ts';
import { systemClock } from '../adapters/system-clock.ts';
import { USER_AGENT } from '../config/user-agent.ts';
import type { Broker } from '../core/broker.ts';
import { makeCachedSecretSource } from '../core/cached-secret-source.ts';
import type { Clock } from '../core/clock.ts';
import { makeClockOffsetEstimator } from '../core/clock-offset.ts';
import { canRefresh } from '../core/credential.ts';
import { makeBroker } from '../core/make-broker.ts';
import { makeSigningKeySecretSource } from '../core/signing-key-secret-source.ts';
import type { Logger, Metrics } from '../core/telemetry.ts';
import { makeLazyAssertionSigner } from './lazy-assertion-signer.ts';
import { makeLazyEnvelopeCipher } from './lazy-envelope-cipher.ts';
import { makeLazySecretSource } from './lazy-secret-source.ts';
import { makeLazyUpstreamClient } from './lazy-upstream-client.ts';
import type { LambdaEnvironment } from './load-lambda-environment.ts';

// Per-attempt deadlines of AWS calls. Table calls are single-digit ms when healthy; anything near
// these limits is an outage, better answered fast (503 + Retry-After) than by a hung request.
const DYNAMODB_TIMEOUT_MS = 1_500;
const KMS_TIMEOUT_MS = 2_000;
const SECRETS_TIMEOUT_MS = 3_000;
/** Secrets are re-read at least this often; a rejected credential forces a re-read anyway. */
const SECRET_MAX_AGE_MS = 300_000;

export interface AwsBrokerOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Overrides for tests; production uses the system clock, global fetch and a random id. */
  readonly clock?: Clock;
  readonly fetch?: typeof fetch;
  readonly instanceId?: string;
}

/**
 * The composition root on AWS: DynamoDB token store, KMS envelope cipher, Secrets Manager secrets
 * (cached), the HTTP upstream clients, all from an already-validated environment. Only the table
 * client is created now; KMS, Secrets Manager and the HTTP clients load on first use, through
 * import() only: the Lambda bundles split them into chunks that a cold start does not evaluate
 * (quality bar P4), so none of them may be imported statically from here or from the entries.
 */
export const makeAwsBroker = (env: LambdaEnvironment, options: AwsBrokerOptions): Broker => {
  const clock = options.clock ?? systemClock;
  const { settings } = env.config;
  // One offset estimate per instance, fed by every response Date it receives (AWS and Instructure).
  const clockOffset = makeClockOffsetEstimator();
  const observe = clockOffset.observe;
  const tableClient = makeDynamoDbClient({ region: env.region, timeoutMs: DYNAMODB_TIMEOUT_MS });
  observeServerDate(tableClient, clock, observe);
  const store = makeDynamoDbTokenStore({
    client: tableClient,
    tableName: env.tableName,
    mintHistoryMs: settings.mintHistoryMs,
  });
  const cipher = makeLazyEnvelopeCipher(async () => {
    const [{ makeKmsClient }, { makeKmsEnvelopeCipher }] = await Promise.all([
      import('../adapters/aws/kms-client.ts'),
      import('../adapters/aws/kms-envelope-cipher.ts'),
    ]);
    const client = makeKmsClient({ region: env.region, timeoutMs: KMS_TIMEOUT_MS });
    observeServerDate(client, clock, observe);
    return makeKmsEnvelopeCipher({ client, keyArn: env.envelopeKeyArn, clock });
  });
  // One signer per instance, loaded (with the KMS client) on first use: it caches the public key,
  // so each mint costs one kms:Sign and the first one GetPublicKey.
  const signer =
    env.ltiSigningKeyArn === undefined
      ? undefined
      : makeLazyAssertionSigner(env.ltiSigningKeyArn, async () => {
          const [{ makeKmsClient }, { makeKmsAssertionSigner }] = await Promise.all([
            import('../adapters/aws/kms-client.ts'),
            import('../adapters/aws/kms-assertion-signer.ts'),
          ]);
          const client = makeKmsClient({ region: env.region, timeoutMs: KMS_TIMEOUT_MS });
          observeServerDate(client, clock, observe);
          return makeKmsAssertionSigner({ client, keyArn: env.ltiSigningKeyArn as string });
        });
  const fileSecrets = makeCachedSecretSource(
    makeLazySecretSource(async () => {
      const [{ makeSecretsManagerClient }, { makeSecretsManagerSecretSource }] = await Promise.all([
        import('../adapters/aws/secrets-manager-client.ts'),
        import('../adapters/aws/secrets-manager-secret-source.ts'),
      ]);
      const client = makeSecretsManagerClient({ region: env.region, timeoutMs: SECRETS_TIMEOUT_MS });
      observeServerDate(client, clock, observe);
      return makeSecretsManagerSecretSource({ client });
    }),
    { clock, maxAgeMs: SECRET_MAX_AGE_MS },
  );
  const secrets = makeSigningKeySecretSource(fileSecrets, signer);
  return makeBroker({
    credentials: env.config.credentials,
    policy: env.config.policy,
    settings,
    store,
    secrets,
    cipher,
    upstreamFor: (credential) =>
      makeLazyUpstreamClient(
        async () => {
          const { makeUpstreamClient } = await import('../adapters/http/make-upstream-client.ts');
          return makeUpstreamClient(credential, {
            clock,
            timeoutMs: settings.upstreamTimeoutMs,
            userAgent: USER_AGENT,
            observeDate: observe,
            logger: options.logger,
            ...(signer === undefined ? {} : { signer }),
            ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
          });
        },
        { renewable: canRefresh(credential.kind) },
      ),
    clock,
    clockOffset,
    // Each AWS call has 2 attempts (sdk-deadlines.ts).
    refreshDeadlines: {
      secretReadMs: 2 * SECRETS_TIMEOUT_MS,
      cipherSealMs: 2 * KMS_TIMEOUT_MS,
      storeWriteMs: 2 * DYNAMODB_TIMEOUT_MS,
    },
    logger: options.logger,
    metrics: options.metrics,
    instanceId: options.instanceId ?? randomUUID(),
  });
};
