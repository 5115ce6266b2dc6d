import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeUpstreamClient } from '../../shared/adapters/http/make-upstream-client.ts';
import { makeLocalEnvelopeCipher } from '../../shared/adapters/local/local-envelope-cipher.ts';
import type { Broker } from '../../shared/core/broker.ts';
import { makeCachedSecretSource } from '../../shared/core/cached-secret-source.ts';
import type { Caller, CredentialConfig } from '../../shared/core/credential.ts';
import { BrokerError } from '../../shared/core/errors.ts';
import { makeBroker } from '../../shared/core/make-broker.ts';
import { STAGE } from '../../shared/core/rotation-secret-store.ts';
import { makeMemoryTokenStore } from '../doubles/memory-token-store.ts';
import { findCanaryLeaks } from '../support/canary.ts';
import {
  makeRotationRig,
  newRequestToken,
  type RotationRig,
  type RotationSimulator,
  STEPS,
  startRotationSimulator,
  USER_AGENT,
} from './support/rotation-harness.ts';

const ADMIN: Caller = { arn: 'arn:aws:iam::111122223333:role/platform-admin', accountId: '111122223333' };
const HOUR_MS = 3_600_000;

let simulator: RotationSimulator;
let rig: RotationRig;
beforeAll(async () => {
  simulator = await startRotationSimulator();
});
afterAll(async () => {
  await simulator.sim.stop();
});
beforeEach(() => {
  rig = makeRotationRig(simulator, { extraFields: { note: 'kept across rotations' } });
});

/** The real core broker, reading the secret's AWSCURRENT through a per-instance cache, minting canvas-jwt on the simulator. */
const makeTestBroker = (): { broker: Broker; credential: CredentialConfig } => {
  const credential: CredentialConfig = {
    id: 'canvas-jwt',
    kind: 'canvas-jwt',
    secretId: rig.arn,
    baseUrl: rig.sim.url,
    fixedParams: {},
    callerParams: {},
  };
  const broker = makeBroker({
    credentials: [credential],
    policy: { rules: [{ principals: [ADMIN.arn], credentials: ['*'], admin: true }] },
    store: makeMemoryTokenStore(),
    // Five minutes, as in production: the cache still holds the old token when rotation deletes it.
    secrets: makeCachedSecretSource(rig.sm.secretSource, { clock: rig.clock, maxAgeMs: 300_000 }),
    cipher: makeLocalEnvelopeCipher({ key: randomBytes(32), keyId: 'rotation-test' }),
    upstreamFor: (c) => makeUpstreamClient(c, { clock: rig.clock, timeoutMs: 5_000, userAgent: USER_AGENT }),
    clock: rig.clock,
    random: () => 0.5,
    instanceId: 'i-rotation-test',
  });
  return { broker, credential };
};

/** Every caller-visible broker operation once: served from cache, and minted fresh from the secret. */
const serveCallers = async (broker: Broker, credential: CredentialConfig, failures: unknown[]) => {
  const attempts = [
    () => broker.getToken(ADMIN, { credentialId: credential.id }),
    () => broker.forceRefresh(ADMIN, credential.id),
    () => broker.getToken(ADMIN, { credentialId: credential.id }),
  ];
  for (const attempt of attempts) {
    try {
      await attempt();
    } catch (error) {
      failures.push(error);
    }
  }
};

const rejectionOf = async (promise: Promise<unknown>): Promise<BrokerError> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    return error as BrokerError;
  }
  throw new Error('expected the rotation step to fail');
};

/** The secret and Canvas are as if no rotation had been tried: same AWSCURRENT, no broker token left. */
const expectUntouched = async () => {
  const current = await rig.currentValue();
  expect(current.versionId).toBe(rig.initialVersionId);
  expect(current.accessToken).toBe(rig.seedToken);
  expect(await rig.whoamiStatus(rig.seedToken)).toBe(200);
  rig.sim.clearFaults();
  expect(await rig.brokerTokens(rig.seedToken)).toEqual([]);
};

/** The rotation finished: the new token works, is the only broker token, and the old one is gone. */
const expectRotated = async (token: string) => {
  const current = await rig.currentValue();
  expect(current.versionId).toBe(token);
  expect(current.accessToken).not.toBe(rig.seedToken);
  expect(await rig.whoamiStatus(current.accessToken)).toBe(200);
  expect(await rig.whoamiStatus(rig.seedToken)).toBe(401);
  expect(await rig.brokerTokens(current.accessToken)).toEqual([
    { id: current.tokenId, workflowState: 'active' },
  ]);
  const previous = rig.sm.versions(rig.arn).find((v) => v.id === rig.initialVersionId);
  expect(previous?.stages).toEqual([STAGE.previous]);
  return current;
};

const expectNoSecretInLogs = async () => {
  const current = await rig.currentValue();
  const lines = rig.logger.lines();
  expect(findCanaryLeaks(lines, [rig.seedToken, current.accessToken])).toEqual([]);
  // The 5-character hint is a prefix of the token: logs carry token ids instead.
  for (const hint of [rig.seedToken.slice(0, 5), current.accessToken.slice(0, 5)]) {
    for (const line of lines) expect(line.includes(hint)).toBe(false);
  }
};

describe('rotating the Canvas access token behind the broker', () => {
  it('replaces the token: the new one works in Canvas, the old one is deleted, AWSCURRENT moves', async () => {
    const token = newRequestToken();
    await rig.rotateAll(token);

    const current = await expectRotated(token);
    const stored = JSON.parse(rig.sm.versions(rig.arn).find((v) => v.id === token)?.value ?? '{}');
    expect(stored).toEqual({
      accessToken: current.accessToken,
      tokenId: current.tokenId,
      userId: 'self',
      note: 'kept across rotations',
      // 90 days from the simulator's start, as Canvas stored it.
      expiresAt: '2030-04-15T12:00:00.000Z',
    });
    await expectNoSecretInLogs();
  });

  it('never lets a reader of AWSCURRENT see the pending value before it is promoted', async () => {
    const token = newRequestToken();
    rig.begin(token);
    for (const step of STEPS) {
      const seen = await rig.sm.secretSource.get(rig.arn);
      expect(seen.versionId).toBe(rig.initialVersionId);
      expect(seen.fields.accessToken).toBe(rig.seedToken);
      await rig.step(step, token);
    }
    expect(rig.sm.served.slice(0, STEPS.length)).toEqual(STEPS.map(() => rig.initialVersionId));
    expect((await rig.sm.secretSource.get(rig.arn)).versionId).toBe(token);
  });

  it('can run every step twice in a row with the same result', async () => {
    const token = newRequestToken();
    rig.begin(token);
    for (const step of STEPS) {
      await rig.step(step, token);
      await rig.step(step, token);
    }
    await expectRotated(token);
  });

  it('rotates again from a rotated secret, deleting the token the first rotation created', async () => {
    const first = newRequestToken();
    await rig.rotateAll(first);
    const afterFirst = await rig.currentValue();
    const second = newRequestToken();
    await rig.rotateAll(second);

    const current = await rig.currentValue();
    expect(current.versionId).toBe(second);
    expect(await rig.whoamiStatus(afterFirst.accessToken)).toBe(401);
    expect(await rig.brokerTokens(current.accessToken)).toEqual([
      { id: current.tokenId, workflowState: 'active' },
    ]);
  });
});

describe('a rotation that crashes and is run again', () => {
  type Crash = { name: string; arm: (token: string) => Promise<void> };
  const crashes: Crash[] = [
    ...STEPS.slice(0, 3).map((step) => ({
      name: `after ${step}`,
      arm: (token: string) => rig.rotateAll(token, { until: step }),
    })),
    {
      name: 'after Canvas created the token but before it was stored',
      arm: async (token: string) => {
        rig.crash.afterCanvasCreate = true;
        await expect(rig.rotateAll(token)).rejects.toThrow(/did not create a new access token/);
      },
    },
    {
      // Not a crash the step can see: it finds its token stored and carries on.
      name: 'after PutSecretValue stored the value but its response was lost',
      arm: async (token: string) => {
        rig.crash.afterPut = true;
        await rig.rotateAll(token, { until: 'createSecret' });
      },
    },
    {
      name: 'after AWSCURRENT moved but before the old token was deleted',
      arm: async (token: string) => {
        rig.crash.afterPromote = true;
        await expect(rig.rotateAll(token)).rejects.toThrow();
      },
    },
  ];

  it.each(crashes)('completes with no orphaned token when it crashed $name', async ({ arm }) => {
    const { broker, credential } = makeTestBroker();
    const failures: unknown[] = [];
    await serveCallers(broker, credential, failures);

    const token = newRequestToken();
    await arm(token);
    await serveCallers(broker, credential, failures);
    // Secrets Manager retries the rotation with the same ClientRequestToken.
    rig.sm.startRotation(rig.arn, token);
    for (const step of STEPS) {
      await rig.step(step, token);
      await serveCallers(broker, credential, failures);
    }

    await expectRotated(token);
    expect(failures).toEqual([]);
    await expectNoSecretInLogs();
  });

  it('serves every caller while the steps run concurrently with their requests', async () => {
    const { broker, credential } = makeTestBroker();
    const failures: unknown[] = [];
    await serveCallers(broker, credential, failures);
    const token = newRequestToken();
    rig.begin(token);
    for (const step of STEPS) {
      await Promise.all([rig.step(step, token), serveCallers(broker, credential, failures)]);
    }
    await serveCallers(broker, credential, failures);
    await expectRotated(token);
    expect(failures).toEqual([]);
  });
});

describe('a rotation Canvas will not go along with', () => {
  it('fails clearly when Canvas refuses to create a token, leaving AWSCURRENT untouched', async () => {
    const token = newRequestToken();
    rig.crash.beforeCreate = () => rig.fault({ endpoint: 'tokens', kind: 'status', status: 403, times: 1 });
    const error = await rejectionOf(rig.rotateAll(token));
    expect(error.code).toBe('UPSTREAM_FATAL');
    expect(error.upstreamStatus).toBe(403);
    expect(error.message).toMatch(/refused to create a new access token.*AWSCURRENT is unchanged/);
    expect(await rig.sm.getValue(rig.arn, { versionId: token, stage: STAGE.pending })).toBeUndefined();
    await expectUntouched();
  });

  it('fails clearly when personal tokens are forbidden outright (every Tokens API call refused)', async () => {
    rig.fault({ endpoint: 'tokens', kind: 'status', status: 403 });
    const error = await rejectionOf(rig.rotateAll(newRequestToken()));
    expect(error.code).toBe('UPSTREAM_FATAL');
    expect(error.message).toMatch(/AWSCURRENT is unchanged/);
    await expectUntouched();
  });

  it('fails as retryable when Canvas rate-limits the Tokens API, leaving AWSCURRENT untouched', async () => {
    rig.fault({ endpoint: 'tokens', kind: 'rate-limit' });
    const error = await rejectionOf(rig.rotateAll(newRequestToken()));
    expect(error.code).toBe('UPSTREAM_RETRYABLE');
    expect(error.retryable).toBe(true);
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    await expectUntouched();
  });

  it('completes on a retry once the rate limit has passed', async () => {
    const token = newRequestToken();
    rig.crash.beforeCreate = () => rig.fault({ endpoint: 'tokens', kind: 'rate-limit', times: 1 });
    await expect(rig.rotateAll(token)).rejects.toThrow(/did not create/);
    await rig.rotateAll(token);
    await expectRotated(token);
  });

  it('deletes the new token and fails clearly when it does not pass its test call', async () => {
    const token = newRequestToken();
    await rig.rotateAll(token, { until: 'setSecret' });
    // Someone regenerates the new token behind the rotation's back: the stored value stops working.
    const [created] = await rig.brokerTokens(rig.seedToken);
    const regenerate = await fetch(`${rig.sim.url}/api/v1/users/self/tokens/${created?.id}`, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${rig.seedToken}`,
        'user-agent': USER_AGENT,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'token[regenerate]=true',
    });
    expect(regenerate.status).toBe(200);
    await regenerate.arrayBuffer();

    const error = await rejectionOf(rig.step('testSecret', token));
    expect(error.code).toBe('UPSTREAM_CREDENTIALS_REJECTED');
    expect(error.message).toMatch(/failed its test call .* was deleted; AWSCURRENT is unchanged/);
    await expectUntouched();
    // The version is spent: testing or finishing it anyway is refused, never papered over.
    await expect(rig.step('testSecret', token)).rejects.toThrow(/failed its test call/);
    await expect(rig.step('finishSecret', token)).rejects.toThrow(
      /no longer authenticates, so it was not promoted/,
    );
    expect((await rig.currentValue()).versionId).toBe(rig.initialVersionId);
  });

  it('cleans up an abandoned failed rotation when the next one starts', async () => {
    const abandoned = newRequestToken();
    rig.begin(abandoned);
    await rig.step('createSecret', abandoned);
    expect(await rig.brokerTokens(rig.seedToken)).toHaveLength(1);
    // The operator gives up on it, as Secrets Manager requires before a new rotation can start.
    rig.sm.removeStage(rig.arn, STAGE.pending, abandoned);

    const token = newRequestToken();
    await rig.rotateAll(token);
    await expectRotated(token);
  });
});

describe('the broker across a rotation', () => {
  it('keeps serving its still-valid token minted with the old secret, and mints new ones with the new secret', async () => {
    const { broker, credential } = makeTestBroker();
    const before = await broker.getToken(ADMIN, { credentialId: credential.id });
    const describeVariant = async () => (await broker.describeCredential(ADMIN, credential.id)).variants[0];
    expect((await describeVariant())?.secretVersionId).toBe(rig.initialVersionId);

    const token = newRequestToken();
    await rig.rotateAll(token);

    const during = await broker.getToken(ADMIN, { credentialId: credential.id });
    expect(during.fingerprint).toBe(before.fingerprint);
    expect((await describeVariant())?.secretVersionId).toBe(rig.initialVersionId);

    rig.clock.advance(HOUR_MS);
    const after = await broker.getToken(ADMIN, { credentialId: credential.id });
    expect(after.fingerprint).not.toBe(before.fingerprint);
    const detail = await broker.describeCredential(ADMIN, credential.id);
    expect(detail.variants[0]?.secretVersionId).toBe(token);
    expect(detail.recentMints.map((m) => m.secretVersionId)).toEqual(
      expect.arrayContaining([rig.initialVersionId, token]),
    );
  });

  it('recovers in one forced secret re-read when its cached secret names the deleted token', async () => {
    const { broker, credential } = makeTestBroker();
    await broker.getToken(ADMIN, { credentialId: credential.id });
    await rig.rotateAll(newRequestToken());
    // The secret cache is still warm with the old token, which Canvas no longer accepts.
    await expect(broker.forceRefresh(ADMIN, credential.id)).resolves.toEqual({ refreshed: 1 });
  });
});
