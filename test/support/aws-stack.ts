import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { type RunningSimulator, startSimulator } from '../../dev/simulator/index.ts';
import { makeDynamoDbTokenStore } from '../../shared/adapters/aws/dynamodb-token-store.ts';
import { registerCanary } from './canary.ts';
import { createTestTable, startTestDynamo, type TestDynamo } from './dynamodb.ts';

export const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** The policy the functions are deployed with in these tests. */
export const STACK_CALLERS = [
  { principals: ['arn:aws:iam::111122223333:role/reporting'], credentials: ['dap', 'canvas-ui'] },
  { principals: ['arn:aws:iam::444455556666:role/partner-*'], credentials: ['inst'] },
  { principals: ['lambda-invoke'], credentials: ['dap'] },
];

export interface AwsStack {
  readonly sim: RunningSimulator;
  readonly dynamo: TestDynamo;
  /** The function environment, exactly what the construct would set (plus local endpoints). */
  readonly env: NodeJS.ProcessEnv;
  readonly calls: { generateDataKey: number; decrypt: number; getSecretValue: number };
  /** Every secret in play (seeded upstream credentials, data keys), registered as canaries. */
  readonly secrets: string[];
  /** Sets `env` on process.env (the SDK reads endpoints and credentials from there). */
  apply(): void;
  /**
   * Resolves once every served variant of the credential has its `lastUsedAt`. The broker writes it
   * inside the request (nothing runs after a Lambda answers), so the first read normally shows it;
   * the polls only guard teardown against a regression. Bounded: gives up after `maxPolls` reads.
   */
  settled(credentialId: string, maxPolls?: number): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * The broker's AWS dependencies, locally: DynamoDB is real (dynalite, or DYNAMODB_ENDPOINT),
 * reached through the SDK's own AWS_ENDPOINT_URL_DYNAMODB; KMS and Secrets Manager, which have no
 * local server, are answered at the SDK seam (aws-sdk-client-mock) with real data keys and the
 * simulator's seeded credentials; the upstream is the Instructure simulator on loopback.
 */
export const startAwsStack = async (): Promise<AwsStack> => {
  const sim = await startSimulator({ port: 0 });
  const dynamo = await startTestDynamo();
  const tableName = await createTestTable(dynamo.client, 'fn');
  const seeds = sim.seeds();
  const secrets = [seeds.identity.clientSecret, seeds.canvas.accessToken];
  for (const secret of secrets) registerCanary(secret);

  const calls = { generateDataKey: 0, decrypt: 0, getSecretValue: 0 };
  const dataKeys = new Map<string, Uint8Array>();
  const kms = mockClient(KMSClient);
  kms.on(GenerateDataKeyCommand).callsFake(() => {
    calls.generateDataKey++;
    const key = randomBytes(32);
    const blob = randomBytes(48);
    dataKeys.set(blob.toString('hex'), Uint8Array.from(key));
    secrets.push(key.toString('hex'));
    return { KeyId: KEY_ARN, Plaintext: Uint8Array.from(key), CiphertextBlob: Uint8Array.from(blob) };
  });
  kms.on(DecryptCommand).callsFake((input: { CiphertextBlob: Uint8Array }) => {
    calls.decrypt++;
    const key = dataKeys.get(Buffer.from(input.CiphertextBlob).toString('hex'));
    if (!key)
      throw Object.assign(new Error('InvalidCiphertextException'), { name: 'InvalidCiphertextException' });
    return { KeyId: KEY_ARN, Plaintext: Uint8Array.from(key) };
  });
  const sm = mockClient(SecretsManagerClient);
  sm.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
    calls.getSecretValue++;
    const current = sim.seeds();
    const fields =
      input.SecretId === 'dap-secret'
        ? { clientId: current.identity.clientId, clientSecret: current.identity.clientSecret }
        : { accessToken: current.canvas.accessToken };
    return { Name: input.SecretId, VersionId: 'v1', SecretString: JSON.stringify(fields) };
  });

  const config = {
    credentials: [
      { id: 'dap', kind: 'identity-service', secretId: 'dap-secret', baseUrl: sim.url },
      {
        id: 'canvas-ui',
        kind: 'canvas-jwt',
        secretId: 'canvas-secret',
        baseUrl: sim.url,
        fixedParams: { workflows: ['ui'] },
        callerParams: { canvasAudience: '*' },
      },
      { id: 'inst', kind: 'inst-access', secretId: 'canvas-secret', baseUrl: sim.url },
    ],
    callers: STACK_CALLERS,
  };
  const env: NodeJS.ProcessEnv = {
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    // On the embedded dynalite nothing of the caller's AWS setup may take part: a profile, a
    // session token or a global endpoint (a LocalStack, another local broker's store) would
    // otherwise sign for or point at something else. Only an external DYNAMODB_ENDPOINT (which may
    // be real AWS) keeps the caller's credentials.
    ...(dynamo.embedded
      ? {
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_SESSION_TOKEN: undefined,
          AWS_PROFILE: undefined,
          AWS_ENDPOINT_URL: undefined,
        }
      : process.env.AWS_ACCESS_KEY_ID
        ? {}
        : { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }),
    BROKER_TABLE_NAME: tableName,
    BROKER_ENVELOPE_KEY_ARN: KEY_ARN,
    BROKER_CONFIG: JSON.stringify(config),
    // The API id and stage restEvent() puts in requestContext.
    BROKER_API_ID: 'abcdef1234',
    BROKER_API_STAGE: 'prod',
    POWERTOOLS_SERVICE_NAME: 'broker-test',
  };
  const saved = new Map<string, string | undefined>();
  const store = makeDynamoDbTokenStore({ client: dynamo.client, tableName, mintHistoryMs: 86_400_000 });
  return {
    sim,
    dynamo,
    env,
    calls,
    secrets,
    apply() {
      for (const [name, value] of Object.entries(env)) {
        if (!saved.has(name)) saved.set(name, process.env[name]);
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
    async settled(credentialId, maxPolls = 50) {
      for (let poll = 0; poll < maxPolls; poll++) {
        const items = await store.list(credentialId);
        if (items.every((item) => item.token === undefined || item.lastUsedAt !== undefined)) return true;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return false;
    },
    async stop() {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      kms.restore();
      sm.restore();
      await sim.stop();
      await dynamo.stop();
    },
  };
};
