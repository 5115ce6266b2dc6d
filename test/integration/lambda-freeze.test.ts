import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../dev/simulator/index.ts';
import { makeDynamoDbTokenStore } from '../../shared/adapters/aws/dynamodb-token-store.ts';
import { makeUpstreamClient } from '../../shared/adapters/http/make-upstream-client.ts';
import { makeFileSecretSource } from '../../shared/adapters/local/file-secret-source.ts';
import { makeLocalEnvelopeCipher } from '../../shared/adapters/local/local-envelope-cipher.ts';
import { makeCachedSecretSource } from '../../shared/core/cached-secret-source.ts';
import { makeBroker } from '../../shared/core/make-broker.ts';
import type { StoredVariant, TokenStore } from '../../shared/core/token-store.ts';
import { makePrewarmHandler } from '../../shared/edge/prewarm-handler.ts';
import { makeTokenApiHandler } from '../../shared/edge/token-api-handler.ts';
import { jsonBody, lambdaContext, restEvent, scheduledEvent } from '../support/api-gateway-event.ts';
import { makeCapturingLogger, makeCapturingMetrics } from '../support/canary.ts';
import { createTestTable, startTestDynamo } from '../support/dynamodb.ts';
import { type FakeClock, makeFakeClock } from '../support/fake-clock.ts';
import { type Freezer, makeFreezer } from '../support/frozen-lambda.ts';
import { simulatorCredentials } from '../support/simulator-credentials.ts';

const MIN = 60_000;
const REPORTING = 'arn:aws:iam::111122223333:role/reporting';

interface Instance {
  readonly clock: FakeClock;
  readonly freezer: Freezer;
  /** The table as it is, unwrapped: what other instances and the pre-warm would read. */
  readonly table: TokenStore;
  readonly tokenApi: ReturnType<typeof makeTokenApiHandler>;
  readonly prewarm: ReturnType<typeof makePrewarmHandler>;
  fault(spec: Record<string, unknown>): Promise<void>;
  item(): Promise<StoredVariant | undefined>;
  stop(): Promise<void>;
}

let instance: Instance | undefined;
afterEach(async () => {
  instance?.freezer.thaw();
  await instance?.stop();
  instance = undefined;
});

/**
 * One Lambda instance's composition (the local-mode parts: DynamoDB adapter over dynalite or
 * DYNAMODB_ENDPOINT, the real HTTP clients against the simulator, the local AES cipher, a file
 * secret source), with every I/O seam wrapped by the freezer.
 */
const startInstance = async (): Promise<Instance> => {
  const clock = makeFakeClock(Date.now());
  const freezer = makeFreezer();
  const dir = await mkdtemp(join(tmpdir(), 'ccb-freeze-'));
  const secretsPath = join(dir, 'secrets.json');
  const sim = await startSimulator({ port: 0, now: clock.now });
  const dynamo = await startTestDynamo();
  const tableName = await createTestTable(dynamo.client, 'freeze');
  const table = makeDynamoDbTokenStore({ client: dynamo.client, tableName, mintHistoryMs: 86_400_000 });
  const seeds = sim.seeds();
  await writeFile(
    secretsPath,
    JSON.stringify({
      'dap-secret': { clientId: seeds.identity.clientId, clientSecret: seeds.identity.clientSecret },
      'canvas-secret': { accessToken: seeds.canvas.accessToken },
    }),
  );
  const logger = makeCapturingLogger();
  const metrics = makeCapturingMetrics();
  const broker = makeBroker({
    credentials: simulatorCredentials(sim.url),
    policy: { rules: [{ principals: [REPORTING], credentials: ['*'], admin: false }] },
    store: freezer.wrap('store', table),
    secrets: freezer.wrap(
      'secrets',
      makeCachedSecretSource(makeFileSecretSource({ path: secretsPath }), { clock, maxAgeMs: 300_000 }),
    ),
    cipher: freezer.wrap('cipher', makeLocalEnvelopeCipher({ key: randomBytes(32), keyId: 'freeze' })),
    upstreamFor: (credential) =>
      freezer.wrap(
        'upstream',
        makeUpstreamClient(credential, {
          clock,
          timeoutMs: 1_000,
          userAgent: 'canvas-credential-broker/test',
        }),
      ),
    clock,
    random: () => 0.5,
    logger,
    metrics,
    instanceId: 'frozen-instance',
  });
  return {
    clock,
    freezer,
    table,
    tokenApi: makeTokenApiHandler({ broker, logger, metrics }),
    prewarm: makePrewarmHandler({ broker, logger, metrics }),
    fault: async (spec) => {
      const response = await fetch(`${sim.url}/__sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(spec),
      });
      expect(response.status).toBe(204);
    },
    item: async () => (await table.list('dap'))[0],
    stop: async () => {
      await sim.stop();
      await dynamo.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

const askForToken = async (i: Instance) => {
  const { event } = restEvent({ method: 'POST', path: '/v1/credentials/dap/token', ...jsonBody({}) });
  const response = await i.tokenApi(event, lambdaContext());
  // Lambda freezes the instance the moment the handler's promise settles.
  i.freezer.freeze();
  return { status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
};

/** Frozen, the instance makes no progress; a few turns of the loop give stray work a chance to show. */
const expectNothingAfterTheAnswer = async (i: Instance) => {
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(i.freezer.runningAtFreeze).toEqual([]);
  expect(i.freezer.startedWhileFrozen).toEqual([]);
};

describe('a Lambda instance frozen right after it answers', () => {
  it('token API, cold variant: the mint, its record and lastUsedAt are all in the table, no lease held', async () => {
    instance = await startInstance();
    const answer = await askForToken(instance);
    expect(answer.status).toBe(200);
    await expectNothingAfterTheAnswer(instance);
    const item = await instance.item();
    expect(item?.token?.fingerprint).toBe(answer.body.fingerprint);
    expect(item?.lease).toBeUndefined();
    expect(item?.lastUsedAt).toBe(instance.clock.now());
    expect(await instance.table.listMints('dap', 5)).toHaveLength(1);
  });

  it('token API, stale token: served as it is, nothing left running, no lease held, lastUsedAt written', async () => {
    instance = await startInstance();
    const first = await askForToken(instance);
    instance.freezer.thaw();
    instance.clock.advance(56 * MIN); // past refreshAt, still servable; the touch is due again
    const stale = await askForToken(instance);
    expect(stale.status).toBe(200);
    expect(stale.body.fingerprint).toBe(first.body.fingerprint);
    await expectNothingAfterTheAnswer(instance);
    const item = await instance.item();
    expect(item?.lease).toBeUndefined();
    expect(item?.lastUsedAt).toBe(instance.clock.now());
  });

  it('token API, token past its guaranteed life: renewed inside the request, nothing left running', async () => {
    instance = await startInstance();
    const first = await askForToken(instance);
    instance.freezer.thaw();
    instance.clock.advance(60 * MIN);
    const renewed = await askForToken(instance);
    expect(renewed.status).toBe(200);
    expect(renewed.body.fingerprint).not.toBe(first.body.fingerprint);
    await expectNothingAfterTheAnswer(instance);
    const item = await instance.item();
    expect(item?.token?.fingerprint).toBe(renewed.body.fingerprint);
    expect(item?.lease).toBeUndefined();
    expect(item?.lastUsedAt).toBe(instance.clock.now());
  });

  it('pre-warm: the stale variant is renewed and written before the run answers, no lease held', async () => {
    instance = await startInstance();
    const first = await askForToken(instance);
    instance.freezer.thaw();
    instance.clock.advance(56 * MIN);
    const result = await instance.prewarm(scheduledEvent());
    instance.freezer.freeze();
    expect(result).toMatchObject({ ok: true, refreshed: 1 });
    await expectNothingAfterTheAnswer(instance);
    const item = await instance.item();
    expect(item?.token?.fingerprint).not.toBe(first.body.fingerprint);
    expect(item?.version).toBe(2);
    expect(item?.lease).toBeUndefined();
  });

  it('pre-warm against a failing upstream: the failure is recorded and the lease released before the run answers', async () => {
    instance = await startInstance();
    await askForToken(instance);
    instance.freezer.thaw();
    instance.clock.advance(56 * MIN);
    await instance.fault({ endpoint: '*', kind: 'status', status: 503 });
    const result = await instance.prewarm(scheduledEvent());
    instance.freezer.freeze();
    expect(result).toMatchObject({ ok: false, failed: 1 });
    await expectNothingAfterTheAnswer(instance);
    const item = await instance.item();
    expect(item?.failure?.code).toBe('UPSTREAM_RETRYABLE');
    expect(item?.lease).toBeUndefined();
  });
});
