import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningSimulator, startSimulator } from '../../dev/simulator/index.ts';
import type { SimulatorOptions } from '../../dev/simulator/simulator-types.ts';
import { makeDynamoDbClient } from '../../shared/adapters/aws/dynamodb-client.ts';
import { makeDynamoDbTokenStore } from '../../shared/adapters/aws/dynamodb-token-store.ts';
import { observeServerDate } from '../../shared/adapters/aws/observe-server-date.ts';
import { makeUpstreamClient } from '../../shared/adapters/http/make-upstream-client.ts';
import { makeFileSecretSource } from '../../shared/adapters/local/file-secret-source.ts';
import { makeLocalEnvelopeCipher } from '../../shared/adapters/local/local-envelope-cipher.ts';
import { systemClock } from '../../shared/adapters/system-clock.ts';
import type { AssertionSigner } from '../../shared/core/assertion-signer.ts';
import type { Broker } from '../../shared/core/broker.ts';
import type { BrokerSettings } from '../../shared/core/broker-settings.ts';
import { makeCachedSecretSource } from '../../shared/core/cached-secret-source.ts';
import type { CallerPolicy } from '../../shared/core/caller-policy.ts';
import type { Clock } from '../../shared/core/clock.ts';
import { type ClockOffsetEstimator, makeClockOffsetEstimator } from '../../shared/core/clock-offset.ts';
import type { Caller, CredentialConfig } from '../../shared/core/credential.ts';
import { makeBroker } from '../../shared/core/make-broker.ts';
import { makeSigningKeySecretSource } from '../../shared/core/signing-key-secret-source.ts';
import type { Logger, Metrics } from '../../shared/core/telemetry.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import { createTestTable, startTestDynamo, type TestDynamo } from './dynamodb.ts';
import { simulatorCredentials } from './simulator-credentials.ts';

export const SERVICE: Caller = { arn: 'arn:aws:iam::111122223333:role/etl', accountId: '111122223333' };

const POLICY: CallerPolicy = { rules: [{ principals: [SERVICE.arn], credentials: ['*'], admin: true }] };

export interface FleetOptions {
  readonly instances: number;
  /** One clock per instance (default: the system clock for all). */
  readonly clocks?: readonly Clock[];
  /** The simulator's notion of now (default: real time). */
  readonly simulatorNow?: () => number;
  readonly settings?: Partial<BrokerSettings>;
  readonly upstreamTimeoutMs?: number;
  readonly random?: () => number;
  /** How long each instance caches a secret (default 5 min, as production). */
  readonly secretMaxAgeMs?: number;
  /** The credentials (default: simulatorCredentials, one per kind). */
  readonly credentials?: (simulatorUrl: string) => CredentialConfig[];
  /** Shared by every instance, as one log group and one metrics namespace are. */
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Extra simulator options (e.g. a broken `identityExpiresIn`). */
  readonly simulator?: Omit<SimulatorOptions, 'port' | 'now'>;
  /** The transport of instance `i`'s upstream clients (default: the global fetch). */
  readonly fetchFor?: (instance: number) => typeof fetch;
  /**
   * The LTI assertion signer of instance `i` (lti-advantage credentials): a deployment's one
   * signing key, or during a rotation overlap the old key on some instances and the new on others.
   */
  readonly signerFor?: (instance: number) => AssertionSigner | undefined;
}

export interface Fleet {
  readonly sim: RunningSimulator;
  readonly brokers: readonly Broker[];
  readonly store: TokenStore;
  /** Each instance's clock-offset estimator (fed by its own table and upstream responses). */
  readonly offsets: readonly ClockOffsetEstimator[];
  readonly dynamo: TestDynamo;
  readonly tableName: string;
  /**
   * Resolves once no instance has a table call, secret read, cipher call or upstream request in flight (checked over a few
   * event-loop turns): the background work a served request left behind has finished.
   */
  idle(): Promise<void>;
  /** Writes the simulator's current seeds into the secrets file (a new secret version). */
  syncSecrets(): Promise<void>;
  control(path: string, body?: unknown, method?: string): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * N broker instances (separate memory, like separate Lambda instances) over ONE real DynamoDB
 * table (dynalite, or DYNAMODB_ENDPOINT) and ONE Instructure simulator on loopback, each with the
 * real HTTP clients, the real local AES envelope cipher and a file secret source behind the
 * per-instance secret cache, exactly the local-mode composition.
 */
export const startFleet = async (options: FleetOptions): Promise<Fleet> => {
  const dir = await mkdtemp(join(tmpdir(), 'ccb-fleet-'));
  const secretsPath = join(dir, 'secrets.json');
  const sim = await startSimulator({
    ...options.simulator,
    port: 0,
    ...(options.simulatorNow ? { now: options.simulatorNow } : {}),
  });
  const dynamo = await startTestDynamo();
  const tableName = await createTestTable(dynamo.client, 'fleet');
  const store = makeDynamoDbTokenStore({ client: dynamo.client, tableName, mintHistoryMs: 86_400_000 });
  const key = randomBytes(32);

  const syncSecrets = async () => {
    const seeds = sim.seeds();
    await writeFile(
      secretsPath,
      JSON.stringify({
        'dap-secret': { clientId: seeds.identity.clientId, clientSecret: seeds.identity.clientSecret },
        'canvas-secret': { accessToken: seeds.canvas.accessToken },
      }),
    );
  };
  await syncSecrets();

  const credentials = (options.credentials ?? simulatorCredentials)(sim.url);
  const region = await dynamo.client.config.region();
  const universe = options.simulatorNow;
  const offsets: ClockOffsetEstimator[] = [];
  let inFlight = 0;
  const tracked = <T>(work: () => Promise<T>): Promise<T> => {
    inFlight++;
    return work().finally(() => {
      inFlight--;
    });
  };
  const track = <T extends object>(inner: T): T =>
    new Proxy(inner, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function'
          ? (...args: unknown[]) => tracked(() => value.apply(target, args))
          : value;
      },
    });
  const clients: { destroy(): void }[] = [];

  const brokers = Array.from({ length: options.instances }, (_, i) => {
    const clock = options.clocks?.[i] ?? systemClock;
    // Each instance has its own table client, as separate Lambda instances do, so the offset
    // estimator sees the table's Date against this instance's clock.
    const offset = makeClockOffsetEstimator();
    offsets.push(offset);
    const client = makeDynamoDbClient({
      endpoint: dynamo.endpoint,
      region,
      timeoutMs: 5_000,
      ...(dynamo.credentials ? { credentials: dynamo.credentials } : {}),
    });
    clients.push(client);
    // dynalite (or DYNAMODB_ENDPOINT) stamps Date from the wall clock. When the test runs the world
    // on a fake clock (`simulatorNow`), the table's Date is restamped with that clock at arrival,
    // the second a server on the test's timeline would have sent: the bound it gives stays true.
    observeServerDate(client, clock, (sample) =>
      offset.observe(universe ? { ...sample, serverDate: Math.floor(universe() / 1000) * 1000 } : sample),
    );
    const instanceStore = track(makeDynamoDbTokenStore({ client, tableName, mintHistoryMs: 86_400_000 }));
    const transport = options.fetchFor?.(i) ?? fetch;
    const signer = options.signerFor?.(i);
    const fetchImpl: typeof fetch = (input, init) => tracked(() => transport(input, init));
    return makeBroker({
      credentials,
      policy: POLICY,
      store: instanceStore,
      secrets: makeSigningKeySecretSource(
        makeCachedSecretSource(track(makeFileSecretSource({ path: secretsPath })), {
          clock,
          maxAgeMs: options.secretMaxAgeMs ?? 300_000,
        }),
        signer,
      ),
      cipher: track(makeLocalEnvelopeCipher({ key, keyId: 'fleet' })),
      upstreamFor: (credential) =>
        makeUpstreamClient(credential, {
          clock,
          timeoutMs: options.upstreamTimeoutMs ?? 5_000,
          userAgent: 'canvas-credential-broker/test',
          observeDate: offset.observe,
          fetch: fetchImpl,
          ...(signer === undefined ? {} : { signer: track(signer) }),
          ...(options.logger ? { logger: options.logger } : {}),
        }),
      clock,
      clockOffset: offset,
      settings: options.settings,
      ...(options.random ? { random: options.random } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.metrics ? { metrics: options.metrics } : {}),
      instanceId: `instance-${i}`,
    });
  });

  return {
    sim,
    brokers,
    store,
    offsets,
    dynamo,
    tableName,
    syncSecrets,
    idle: async () => {
      for (let quiet = 0, turns = 0; quiet < 3; turns++) {
        // A hung upstream holds a request until its deadline: wait on timers, not just turns.
        if (turns > 20_000) throw new Error('the fleet never went idle');
        await new Promise((resolve) => setTimeout(resolve, 1));
        quiet = inFlight === 0 ? quiet + 1 : 0;
      }
    },
    control: (path, body, method = 'POST') =>
      fetch(`${sim.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'user-agent': 'fleet-test' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    stop: async () => {
      for (const client of clients) client.destroy();
      await sim.stop();
      await dynamo.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
};
