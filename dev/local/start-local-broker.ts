import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createTokenTable } from '../../shared/adapters/aws/create-token-table.ts';
import { makeDynamoDbClient } from '../../shared/adapters/aws/dynamodb-client.ts';
import { makeDynamoDbTokenStore } from '../../shared/adapters/aws/dynamodb-token-store.ts';
import { observeServerDate } from '../../shared/adapters/aws/observe-server-date.ts';
import { makeUpstreamClient } from '../../shared/adapters/http/make-upstream-client.ts';
import { makeFileSecretSource } from '../../shared/adapters/local/file-secret-source.ts';
import { makeLocalAssertionSigner } from '../../shared/adapters/local/local-assertion-signer.ts';
import { makeLocalEnvelopeCipher } from '../../shared/adapters/local/local-envelope-cipher.ts';
import { loadOrCreateLocalKey } from '../../shared/adapters/local/local-key.ts';
import { systemClock } from '../../shared/adapters/system-clock.ts';
import { JWKS_ROUTE } from '../../shared/config/api-routes.ts';
import type { BrokerConfigInput } from '../../shared/config/broker-config.ts';
import { parseBrokerConfig } from '../../shared/config/parse-broker-config.ts';
import { USER_AGENT } from '../../shared/config/user-agent.ts';
import type { BrokerSettings } from '../../shared/core/broker-settings.ts';
import { makeCachedSecretSource } from '../../shared/core/cached-secret-source.ts';
import type { Clock } from '../../shared/core/clock.ts';
import { makeClockOffsetEstimator } from '../../shared/core/clock-offset.ts';
import { type CredentialConfig, LTI_SIGNING_KEY_SECRET_ID } from '../../shared/core/credential.ts';
import { ConfigInvalidError } from '../../shared/core/errors.ts';
import { makeJwksPublisher } from '../../shared/core/jwks-publisher.ts';
import { makeBroker } from '../../shared/core/make-broker.ts';
import { makeSigningKeySecretSource } from '../../shared/core/signing-key-secret-source.ts';
import { type Logger, noopLogger } from '../../shared/core/telemetry.ts';
import type { UpstreamClient } from '../../shared/core/upstream-client.ts';
import { makeJwksHandler } from '../../shared/edge/jwks-handler.ts';
import { makeTokenApiHandler } from '../../shared/edge/token-api-handler.ts';
import { startSimulator } from '../simulator/index.ts';
import { simulatedClientId } from '../simulator/lti-token-state.ts';
import type { RunningSimulator } from '../simulator/simulator-types.ts';
import { DEMO_LTI_SCOPES, demoBrokerConfig } from './demo-broker-config.ts';
import { startEmbeddedDynamo } from './embedded-dynamodb.ts';
import { claimHome } from './home-lock.ts';
import {
  type LocalCredentials,
  loadOrCreateLocalKeyPair,
  writeLocalCredentials,
} from './local-credentials-file.ts';
import { startPrewarmTimer } from './prewarm-timer.ts';
import { type LocalAccessKey, makeSigV4Verifier } from './sigv4-verifier.ts';
import { DEFAULT_LOCAL_PRINCIPAL_ARN, startLocalApi } from './start-local-api.ts';

export interface LocalBrokerOptions {
  /** `$BROKER_HOME`: every piece of local state lives here (created 0700 when missing). */
  readonly home: string;
  /** Default 8787; 0 picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** The signing region callers use (default us-east-1). */
  readonly region?: string;
  /** Real Instructure endpoints; each one replaces the simulator for the credentials it serves. */
  readonly identityUrl?: string;
  readonly canvasUrl?: string;
  /** More key pairs the local API accepts, each as its own principal (e.g. one the policy omits). */
  readonly additionalKeys?: readonly LocalAccessKey[];
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Overrides of the configured settings. */
  readonly settings?: Partial<BrokerSettings>;
}

/** Where the demo credentials get their upstream from. */
export type LocalConfigSource = 'config-file' | 'simulator' | 'environment' | 'environment+simulator';

export interface LocalBroker {
  /** The endpoint callers sign for, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  readonly home: string;
  readonly region: string;
  /** The local caller's key pair and endpoint, as written to `credentialsPath`. */
  readonly credentials: LocalCredentials;
  readonly credentialsPath: string;
  readonly secretsPath: string;
  readonly configPath: string;
  readonly configSource: LocalConfigSource;
  readonly principalArn: string;
  readonly credentialIds: readonly string[];
  /** Secret ids the credentials need that the secrets file does not hold yet (real endpoints only). */
  readonly missingSecrets: readonly string[];
  /** The Instructure simulator, when one was started. */
  readonly simulator: RunningSimulator | undefined;
  /** Stops the API, the simulator and the embedded DynamoDB; safe to call twice. */
  stop(): Promise<void>;
}

const TABLE_NAME = 'canvas-credential-broker';
const SECRET_IDS = {
  simulatorIdentity: 'simulator/identity',
  simulatorCanvas: 'simulator/canvas',
  realIdentity: 'instructure/identity',
  realCanvas: 'instructure/canvas',
} as const;
const LOCAL_USER_AGENT = `${USER_AGENT} (local mode)`;
const SECRET_CACHE_MS = 60_000;
/** The construct's default pre-warm schedule: every minute. */
const LOCAL_PREWARM_MS = 60_000;

const registerLtiKey = async (simulatorUrl: string, key: Record<string, unknown>): Promise<void> => {
  const res = await fetch(`${simulatorUrl}/__sim/lti/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(key),
    signal: AbortSignal.timeout(5_000),
  });
  if (res.status !== 201) throw new ConfigInvalidError(`The simulator refused the LTI key (${res.status}).`);
};

const readJsonFile = async (path: string, what: string): Promise<unknown> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigInvalidError(`The ${what} ${path} could not be read.`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch {
    // The parser's message quotes the text, which may be a secret.
    throw new ConfigInvalidError(`The ${what} ${path} is not valid JSON.`);
  }
};

const writePrivateJson = async (path: string, value: unknown): Promise<void> => {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(temp, path);
};

/** Puts the simulator's seeds into the secrets file, keeping every other entry as the user left it. */
const writeSimulatorSecrets = async (
  path: string,
  entries: Readonly<Record<string, Readonly<Record<string, string>>>>,
): Promise<void> => {
  const current = (await readJsonFile(path, 'secrets file')) ?? {};
  if (typeof current !== 'object' || current === null || Array.isArray(current)) {
    throw new ConfigInvalidError(`The secrets file ${path} is not a JSON object of secrets.`);
  }
  await writePrivateJson(path, { ...(current as Record<string, unknown>), ...entries });
};

/**
 * The whole broker on one machine, no AWS account: the token API (the same Lambda handler) behind
 * a SigV4-checking local API on 127.0.0.1, the DynamoDB token store on an embedded dynalite
 * persisted in `home`, a local AES envelope key, secrets from `home/secrets.json`, and the
 * Instructure simulator for whatever has no real endpoint. Only the composition differs from AWS;
 * the core, the store adapter, the HTTP clients and the handler are the production ones.
 *
 * `home` belongs to one running broker at a time (`broker.lock`, see claimHome). State in `home`,
 * all kept across restarts: `credentials.json` (the local key pair, 0600),
 * `envelope.key` (0600), `secrets.json` (0600), `dynamodb/` (tokens, leases, mint history), and an
 * optional `config.json` (a BrokerConfig the user may write; it replaces the demo credentials and
 * the simulator).
 */
export const startLocalBroker = async (options: LocalBrokerOptions): Promise<LocalBroker> => {
  const home = resolve(options.home);
  const region = options.region ?? 'us-east-1';
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? noopLogger;
  const principalArn = DEFAULT_LOCAL_PRINCIPAL_ARN;
  const credentialsPath = join(home, 'credentials.json');
  const secretsPath = join(home, 'secrets.json');
  const configPath = join(home, 'config.json');

  // Everything started so far, stopped in reverse if a later step fails (or on stop()).
  const cleanups: (() => Promise<void>)[] = [];
  let stopped: Promise<void> | undefined;
  const stopAll = (): Promise<void> => {
    stopped ??= (async () => {
      const failures: unknown[] = [];
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, 'Local mode did not stop cleanly.');
    })();
    return stopped;
  };

  try {
    await mkdir(home, { recursive: true, mode: 0o700 });
    // The lock comes before anything in `home` is written: a second start on a live home must
    // fail having changed nothing (it used to rewrite secrets.json with its own simulator's seeds
    // first, and the running broker then failed every new mint with 401).
    const lock = await claimHome(home);
    cleanups.push(() => lock.release());

    // Configuration: the user's config.json, else the demo credentials on the simulator and/or
    // the real endpoints given.
    let configInput: BrokerConfigInput;
    let configSource: LocalConfigSource;
    let simulator: RunningSimulator | undefined;
    let ltiClientId: string | undefined;
    const userConfig = await readJsonFile(configPath, 'config file');
    if (userConfig !== undefined) {
      configInput = userConfig as BrokerConfigInput;
      configSource = 'config-file';
      if (options.identityUrl !== undefined || options.canvasUrl !== undefined) {
        logger.warn('config.json names its own endpoints; the Instructure URLs given are ignored', {
          configPath,
        });
      }
    } else {
      const needsSimulator = options.identityUrl === undefined || options.canvasUrl === undefined;
      if (needsSimulator) {
        simulator = await startSimulator({ port: 0 });
        cleanups.push(() => simulator!.stop());
        const seeds = simulator.seeds();
        const entries: Record<string, Record<string, string>> = {};
        if (options.identityUrl === undefined) entries[SECRET_IDS.simulatorIdentity] = { ...seeds.identity };
        if (options.canvasUrl === undefined) {
          entries[SECRET_IDS.simulatorCanvas] = { accessToken: seeds.canvas.accessToken };
        }
        await writeSimulatorSecrets(secretsPath, entries);
      }
      if (options.canvasUrl === undefined) ltiClientId = simulatedClientId();
      configInput = demoBrokerConfig({
        identityUrl: options.identityUrl ?? simulator!.url,
        canvasUrl: options.canvasUrl ?? simulator!.url,
        identitySecretId:
          options.identityUrl === undefined ? SECRET_IDS.simulatorIdentity : SECRET_IDS.realIdentity,
        canvasSecretId: options.canvasUrl === undefined ? SECRET_IDS.simulatorCanvas : SECRET_IDS.realCanvas,
        principals: [principalArn],
        ...(ltiClientId === undefined ? {} : { ltiClientId }),
      });
      const someReal = options.identityUrl !== undefined || options.canvasUrl !== undefined;
      configSource = !needsSimulator ? 'environment' : someReal ? 'environment+simulator' : 'simulator';
    }
    const config = parseBrokerConfig(configInput);
    const settings: BrokerSettings = { ...config.settings, ...options.settings };

    const secretsOnFile = await readJsonFile(secretsPath, 'secrets file');
    const missingSecrets = [...new Set(config.credentials.map((c) => c.secretId))]
      .filter((id) => id !== LTI_SIGNING_KEY_SECRET_ID)
      .filter(
        (id) =>
          typeof secretsOnFile !== 'object' || secretsOnFile === null || !Object.hasOwn(secretsOnFile, id),
      );

    // The shared tier: the production DynamoDB adapter on an embedded, persisted dynalite.
    const dynamo = await startEmbeddedDynamo({ path: join(home, 'dynamodb') });
    cleanups.push(() => dynamo.stop());
    const dynamoClient = makeDynamoDbClient({
      endpoint: dynamo.endpoint,
      region,
      timeoutMs: 5_000,
      // dynalite accepts any key; fixed ones keep the SDK away from the default chain (and IMDS).
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    cleanups.push(async () => dynamoClient.destroy());
    // As on AWS: the instance measures its clock offset from every response Date it receives.
    const clockOffset = makeClockOffsetEstimator();
    observeServerDate(dynamoClient, clock, clockOffset.observe);
    await createTokenTable(dynamoClient, TABLE_NAME);
    const store = makeDynamoDbTokenStore({
      client: dynamoClient,
      tableName: TABLE_NAME,
      mintHistoryMs: settings.mintHistoryMs,
    });

    const localKey = await loadOrCreateLocalKey(join(home, 'envelope.key'));
    const cipher = makeLocalEnvelopeCipher(localKey);
    localKey.key.fill(0);

    // LTI assertions are signed with a local RSA key (KMS's stand-in), created 0600 on first use.
    const signer = makeLocalAssertionSigner({ path: join(home, 'lti-signing-key.pem') });
    const secrets = makeSigningKeySecretSource(
      makeCachedSecretSource(makeFileSecretSource({ path: secretsPath }), {
        clock,
        maxAgeMs: SECRET_CACHE_MS,
      }),
      signer,
    );
    const upstreams = new Map<string, UpstreamClient>();
    const upstreamFor = (credential: CredentialConfig): UpstreamClient => {
      let client = upstreams.get(credential.id);
      if (client === undefined) {
        client = makeUpstreamClient(credential, {
          clock,
          timeoutMs: settings.upstreamTimeoutMs,
          userAgent: LOCAL_USER_AGENT,
          observeDate: clockOffset.observe,
          signer,
          logger,
        });
        upstreams.set(credential.id, client);
      }
      return client;
    };

    const broker = makeBroker({
      credentials: config.credentials,
      policy: config.policy,
      store,
      secrets,
      cipher,
      upstreamFor,
      clock,
      clockOffset,
      // File secrets and the local AES cipher do no I/O worth a deadline; table calls 2 × 5 s.
      refreshDeadlines: { secretReadMs: 1_000, cipherSealMs: 1_000, storeWriteMs: 10_000 },
      settings,
      logger,
      instanceId: `local-${randomUUID().slice(0, 8)}`,
    });
    const handler = makeTokenApiHandler({ broker, logger });
    // No EventBridge here: stale tokens are renewed by this timer, as the pre-warm does on AWS.
    const prewarmTimer = startPrewarmTimer({ prewarm: broker.prewarm, intervalMs: LOCAL_PREWARM_MS, logger });
    cleanups.push(() => prewarmTimer.stop());

    const keyPair = await loadOrCreateLocalKeyPair(credentialsPath);
    const verifier = makeSigV4Verifier({
      credentials: [{ ...keyPair, principalArn }, ...(options.additionalKeys ?? [])],
      region,
      clock,
    });
    const jwksHandler = makeJwksHandler({ publisher: makeJwksPublisher({ current: signer }), logger });
    const api = await startLocalApi({
      handler,
      publicHandler: (event, context) => jwksHandler(event, context),
      verifier,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 8787,
      defaultPrincipalArn: principalArn,
      clock,
      logger,
    });
    cleanups.push(() => api.stop());
    if (simulator !== undefined && ltiClientId !== undefined) {
      // As an admin would in Canvas: a developer key whose public JWK URL is this broker's JWKS.
      await registerLtiKey(simulator.url, {
        clientId: ltiClientId,
        scopes: [...DEMO_LTI_SCOPES],
        publicJwkUrl: `${api.url}${JWKS_ROUTE.resource}`,
      });
    }
    const credentials: LocalCredentials = { ...keyPair, region, endpoint: api.url };
    await writeLocalCredentials(credentialsPath, credentials);

    logger.info('local mode started', {
      endpoint: api.url,
      home,
      configSource,
      credentials: config.credentials.map((c) => c.id),
      simulator: simulator?.url,
    });
    return {
      url: api.url,
      home,
      region,
      credentials,
      credentialsPath,
      secretsPath,
      configPath,
      configSource,
      principalArn,
      credentialIds: config.credentials.map((c) => c.id),
      missingSecrets,
      simulator,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
};
