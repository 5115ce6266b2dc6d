import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EndpointName, FaultSpec } from '../../dev/simulator/index.ts';
import { type RunningSimulator, startSimulator } from '../../dev/simulator/index.ts';
import { createTokenTable } from '../../shared/adapters/aws/create-token-table.ts';
import { makeDynamoDbClient } from '../../shared/adapters/aws/dynamodb-client.ts';
import { makeDynamoDbTokenStore } from '../../shared/adapters/aws/dynamodb-token-store.ts';
import { makeUpstreamClient } from '../../shared/adapters/http/make-upstream-client.ts';
import { makeFileSecretSource } from '../../shared/adapters/local/file-secret-source.ts';
import { makeLocalAssertionSigner } from '../../shared/adapters/local/local-assertion-signer.ts';
import { makeLocalEnvelopeCipher } from '../../shared/adapters/local/local-envelope-cipher.ts';
import { systemClock } from '../../shared/adapters/system-clock.ts';
import type { AssertionSigner } from '../../shared/core/assertion-signer.ts';
import type { Broker } from '../../shared/core/broker.ts';
import type { BrokerSettings } from '../../shared/core/broker-settings.ts';
import { makeCachedSecretSource } from '../../shared/core/cached-secret-source.ts';
import type { CallerPolicy } from '../../shared/core/caller-policy.ts';
import type { Clock } from '../../shared/core/clock.ts';
import {
  type Caller,
  type CredentialConfig,
  LTI_SIGNING_KEY_SECRET_ID,
} from '../../shared/core/credential.ts';
import { makeBroker } from '../../shared/core/make-broker.ts';
import { makeSigningKeySecretSource } from '../../shared/core/signing-key-secret-source.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import { simulatorCredentials } from '../../test/support/simulator-credentials.ts';
import type { ActivityTracker } from './activity-tracker.ts';
import { BENCH_USER_AGENT } from './bench-user-agent.ts';
import { type DynamoProcess, startDynamoProcess } from './start-dynamo-process.ts';

export const BENCH_CALLER: Caller = {
  arn: 'arn:aws:iam::111122223333:role/bench',
  accountId: '111122223333',
};
const POLICY: CallerPolicy = { rules: [{ principals: [BENCH_CALLER.arn], credentials: ['*'], admin: true }] };
export const BENCH_LTI_CLIENT_ID = '10000000000101';
/** The developer key's scopes: AGS and NRPS, as a grading tool has them. */
export const BENCH_LTI_SCOPES: readonly string[] = [
  'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
];
const DUMMY_CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

export interface TestbedOptions {
  /** The simulator's notion of now (default: real time). */
  readonly simulatorNow?: () => number;
}

export interface InstanceOptions {
  readonly clock?: Clock;
  readonly settings?: Partial<BrokerSettings>;
  readonly random?: () => number;
  /** This instance's table adapter; by default a new one on a DynamoDB client of its own. */
  readonly store?: TokenStore;
  /** Reports this instance's table calls and upstream exchanges (see makeActivityTracker). */
  readonly activity?: ActivityTracker;
}

export interface Testbed {
  readonly sim: RunningSimulator;
  readonly dynamo: DynamoProcess;
  readonly tableName: string;
  readonly credentials: readonly CredentialConfig[];
  /** The deployment's LTI signing key (also what a peer tool would sign with). */
  readonly signer: AssertionSigner;
  /** One broker "Lambda instance": its own memory, DynamoDB client, secret cache and HTTP clients. */
  makeInstance(id: string, options?: InstanceOptions): Broker;
  /** A table adapter on a DynamoDB client of its own. */
  makeStore(): TokenStore;
  /** Upstream calls counted by the simulator, over HTTP (`GET /__sim/stats`), as an operator would. */
  stats(): Promise<Record<EndpointName, number>>;
  /** `POST /__sim/reset`: calls, issued tokens, rate limits and faults back to zero (seeds are kept). */
  reset(): Promise<void>;
  /** `POST /__sim/faults`: until the next reset, the simulator answers as `spec` says. */
  fault(spec: FaultSpec): Promise<void>;
  stop(): Promise<void>;
}

const control = async (
  sim: RunningSimulator,
  path: string,
  method: string,
  body?: unknown,
): Promise<Response> => {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      'user-agent': BENCH_USER_AGENT,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`simulator ${method} ${path}: HTTP ${response.status}`);
  return response;
};

/**
 * The local-mode composition of the broker, several times over: one Instructure simulator and one
 * DynamoDB table (dynalite in a child process) on loopback, shared by any number of broker
 * instances built from the real adapters (DynamoDB store, HTTP upstream clients, local AES
 * envelope cipher, file secrets behind the per-instance secret cache). The same shape as
 * test/support/broker-fleet.ts, except that every instance gets its own DynamoDB client, like
 * separate Lambda instances do.
 */
export const startTestbed = async (options: TestbedOptions = {}): Promise<Testbed> => {
  const dir = await mkdtemp(join(tmpdir(), 'ccb-bench-'));
  // The deployment's LTI signing key (a local RSA key standing in for KMS), and the simulated
  // Canvas's developer key that trusts it: one for every instance, as one KMS key is.
  const signer = makeLocalAssertionSigner({ path: join(dir, 'lti-signing-key.pem') });
  const sim = await startSimulator({
    port: 0,
    ...(options.simulatorNow ? { now: options.simulatorNow } : {}),
    lti: {
      keys: [
        { clientId: BENCH_LTI_CLIENT_ID, scopes: [...BENCH_LTI_SCOPES], publicJwk: await signer.publicJwk() },
      ],
    },
  });
  const dynamo = await startDynamoProcess();
  const clients: DynamoDBClient[] = [];
  const newClient = (): DynamoDBClient => {
    const client = makeDynamoDbClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      // Generous: a loaded 2-core machine runs the broker, dynalite and the simulator at once.
      timeoutMs: 5_000,
      credentials: DUMMY_CREDENTIALS,
    });
    clients.push(client);
    return client;
  };
  const tableName = `ccb-bench-${process.pid}-${randomBytes(4).toString('hex')}`;
  await createTokenTable(newClient(), tableName);

  const secretsPath = join(dir, 'secrets.json');
  const seeds = sim.seeds();
  await writeFile(
    secretsPath,
    JSON.stringify({
      'dap-secret': { clientId: seeds.identity.clientId, clientSecret: seeds.identity.clientSecret },
      'canvas-secret': { accessToken: seeds.canvas.accessToken },
    }),
    { mode: 0o600 },
  );
  const key = randomBytes(32);

  const credentials: CredentialConfig[] = [
    ...simulatorCredentials(sim.url),
    {
      id: 'lti',
      kind: 'lti-advantage',
      secretId: LTI_SIGNING_KEY_SECRET_ID,
      baseUrl: sim.url,
      fixedParams: {},
      callerParams: { scopes: '*' },
      lti: { clientId: BENCH_LTI_CLIENT_ID, allowedScopes: [...BENCH_LTI_SCOPES].sort() },
    },
  ];

  const makeStore = (): TokenStore =>
    makeDynamoDbTokenStore({ client: newClient(), tableName, mintHistoryMs: 86_400_000 });

  const makeInstance = (id: string, instance: InstanceOptions = {}): Broker => {
    const clock = instance.clock ?? systemClock;
    const { activity } = instance;
    const store = instance.store ?? makeStore();
    return makeBroker({
      credentials,
      policy: POLICY,
      store: activity ? activity.wrapStore(store) : store,
      secrets: makeSigningKeySecretSource(
        makeCachedSecretSource(makeFileSecretSource({ path: secretsPath }), { clock, maxAgeMs: 300_000 }),
        signer,
      ),
      cipher: makeLocalEnvelopeCipher({ key, keyId: 'bench' }),
      upstreamFor: (credential) =>
        makeUpstreamClient(credential, {
          clock,
          timeoutMs: 5_000,
          userAgent: BENCH_USER_AGENT,
          signer,
          ...(activity ? { fetch: activity.fetch } : {}),
        }),
      clock,
      ...(instance.settings ? { settings: instance.settings } : {}),
      ...(instance.random ? { random: instance.random } : {}),
      instanceId: id,
    });
  };

  return {
    sim,
    dynamo,
    tableName,
    credentials,
    signer,
    makeInstance,
    makeStore,
    stats: async () =>
      ((await (await control(sim, '/__sim/stats', 'GET')).json()) as { calls: Record<EndpointName, number> })
        .calls,
    reset: async () => {
      await control(sim, '/__sim/reset', 'POST');
    },
    fault: async (spec) => {
      await control(sim, '/__sim/faults', 'POST', spec);
    },
    stop: async () => {
      for (const client of clients) client.destroy();
      await sim.stop();
      await dynamo.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
};
