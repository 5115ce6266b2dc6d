import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeDynamoDbTokenStore } from '../../shared/adapters/aws/dynamodb-token-store.ts';
import { makeKmsEnvelopeCipher } from '../../shared/adapters/aws/kms-envelope-cipher.ts';
import type { Broker } from '../../shared/core/broker.ts';
import type { CredentialConfig } from '../../shared/core/credential.ts';
import { makeBroker } from '../../shared/core/make-broker.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import { ADMIN, ALICE, DAP, JWT, POLICY } from '../support/core-harness.ts';
import { createTestTable, startTestDynamo, type TestDynamo } from '../support/dynamodb.ts';
import { type FakeClock, makeFakeClock } from '../support/fake-clock.ts';
import { makeFakeSecrets } from '../support/fake-secrets.ts';
import { type FakeUpstream, makeFakeUpstream } from '../support/fake-upstream.ts';

/**
 * Issue 10: a renewal opens the stored token (a KMS Decrypt) only when the renewal presents it,
 * which only canvas-jwt's /jwts/refresh does. Real KMS envelope cipher with KMS answered at the
 * SDK seam (real data keys), real DynamoDB (dynalite), fake upstream on a fake clock. Every
 * renewing instance is new (empty memory, empty data-key cache), as a pre-warm Lambda is.
 */
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const INST: CredentialConfig = {
  id: 'inst',
  kind: 'inst-access',
  secretId: 'canvas-secret',
  baseUrl: 'https://canvas.example.test',
  fixedParams: {},
  callerParams: {},
};
const MIN = 60_000;

const kms = mockClient(KMSClient);
const dataKeys = new Map<string, Uint8Array>();
let decrypts = 0;
let dynamo: TestDynamo;

beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  kms.restore();
  await dynamo.stop();
});
beforeEach(() => {
  kms.reset();
  decrypts = 0;
  kms.on(GenerateDataKeyCommand).callsFake(() => {
    const key = randomBytes(32);
    const blob = randomBytes(48);
    dataKeys.set(blob.toString('hex'), Uint8Array.from(key));
    return { KeyId: KEY_ARN, Plaintext: Uint8Array.from(key), CiphertextBlob: Uint8Array.from(blob) };
  });
  kms.on(DecryptCommand).callsFake((input: { CiphertextBlob: Uint8Array }) => {
    decrypts++;
    const key = dataKeys.get(Buffer.from(input.CiphertextBlob).toString('hex'));
    if (!key) throw Object.assign(new Error('bad ciphertext'), { name: 'InvalidCiphertextException' });
    return { KeyId: KEY_ARN, Plaintext: Uint8Array.from(key) };
  });
});

interface World {
  readonly clock: FakeClock;
  readonly store: TokenStore;
  readonly upstreams: Record<string, FakeUpstream>;
  /** A new instance: its own memory tier and its own KMS data-key cache. */
  instance(name: string): Broker;
}

const world = async (): Promise<World> => {
  const clock = makeFakeClock();
  const store = makeDynamoDbTokenStore({
    client: dynamo.client,
    tableName: await createTestTable(dynamo.client, 'decrypts'),
    mintHistoryMs: 86_400_000,
  });
  const upstreams: Record<string, FakeUpstream> = {
    dap: makeFakeUpstream(clock),
    inst: makeFakeUpstream(clock),
    'canvas-jwt': makeFakeUpstream(clock, { refreshable: true }),
  };
  const secrets = makeFakeSecrets({
    'dap-secret': { clientId: 'id', clientSecret: 's1' },
    'canvas-secret': { accessToken: 'c1' },
  });
  return {
    clock,
    store,
    upstreams,
    instance: (name) =>
      makeBroker({
        credentials: [DAP, JWT, INST],
        policy: {
          rules: [...POLICY.rules, { principals: [ALICE.arn], credentials: ['inst'], admin: false }],
        },
        store,
        secrets,
        cipher: makeKmsEnvelopeCipher({
          client: new KMSClient({
            region: 'us-east-1',
            credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
          }),
          keyArn: KEY_ARN,
          clock,
        }),
        upstreamFor: (credential) => upstreams[credential.id]!,
        clock,
        random: () => 0.5,
        instanceId: name,
      }),
  };
};

const JWT_PARAMS = { canvasAudience: true, contextType: 'Course', contextId: '42' };

const mintAll = async (w: World): Promise<void> => {
  const minter = w.instance('minter');
  await minter.getToken(ALICE, { credentialId: 'dap' });
  await minter.getToken(ALICE, { credentialId: 'inst' });
  await minter.getToken(ALICE, { credentialId: 'canvas-jwt', params: JWT_PARAMS });
};

describe('KMS Decrypt calls of renewals', () => {
  it('a pre-warm pass over tokens not yet due opens none of them', async () => {
    const w = await world();
    await mintAll(w);
    const report = await w.instance('prewarm-1').prewarm();
    expect(report.refreshed).toBe(0);
    expect(decrypts).toBe(0);
  });

  it('a pre-warm renewal of identity-service and inst-access tokens makes 0 Decrypt calls; canvas-jwt’s refresh makes exactly one', async () => {
    const w = await world();
    await mintAll(w);
    // Past every token's refreshAt, still inside its life: the pre-warm renews all three.
    w.clock.advance(57 * MIN);
    const report = await w.instance('prewarm-2').prewarm();
    expect(report.refreshed).toBe(3);
    expect(w.upstreams.dap!.calls).toEqual({ mint: 2, refresh: 0 });
    expect(w.upstreams.inst!.calls).toEqual({ mint: 2, refresh: 0 });
    // The refresh presented the old token: the one Decrypt.
    expect(w.upstreams['canvas-jwt']!.calls).toEqual({ mint: 1, refresh: 1 });
    expect(decrypts).toBe(1);
  });

  it('an admin refresh of identity-service and inst-access tokens makes 0 Decrypt calls', async () => {
    const w = await world();
    await mintAll(w);
    const admin = w.instance('admin');
    expect(await admin.forceRefresh(ADMIN, 'dap')).toEqual({ refreshed: 1 });
    expect(await admin.forceRefresh(ADMIN, 'inst')).toEqual({ refreshed: 1 });
    expect(w.upstreams.dap!.calls.mint).toBe(2);
    expect(w.upstreams.inst!.calls.mint).toBe(2);
    expect(decrypts).toBe(0);
  });

  it('a caller on another instance still gets the stored token, opened once', async () => {
    const w = await world();
    await mintAll(w);
    const served = await w.instance('reader').getToken(ALICE, { credentialId: 'dap' });
    expect(served.tier).toBe('table');
    expect(w.upstreams.dap!.calls.mint).toBe(1);
    expect(decrypts).toBe(1);
  });
});
