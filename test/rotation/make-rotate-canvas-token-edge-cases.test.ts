import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  BrokerError,
  SecretThrottledError,
  UpstreamFatalError,
  UpstreamRetryableError,
} from '../../shared/core/errors.ts';
import { type RotationSecretStore, STAGE } from '../../shared/core/rotation-secret-store.ts';
import {
  makeRotateCanvasToken,
  type RotateCanvasToken,
} from '../../shared/rotation/make-rotate-canvas-token.ts';
import { rotationPurposePrefix } from '../../shared/rotation/rotation-purpose.ts';
import { makeCapturingLogger } from '../support/canary.ts';
import { makeFakeClock } from '../support/fake-clock.ts';
import { type FakeRotationCanvas, makeFakeRotationCanvas } from './support/fake-rotation-canvas.ts';
import { type MemorySecretsManager, makeMemorySecretsManager } from './support/memory-secrets-manager.ts';

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

let sm: MemorySecretsManager;
let fake: FakeRotationCanvas;
let arn: string;
let initialVersionId: string;
let seed: { id: string; secret: string };
let store: RotationSecretStore;
let rotation: RotateCanvasToken;

const build = (overrides: Partial<RotationSecretStore> = {}) => {
  store = {
    describe: (id) => sm.describe(id),
    getValue: (id, query) => sm.getValue(id, query),
    putPending: (id, token, value) => sm.putPending(id, token, value),
    promote: (id, next, old) => sm.promote(id, next, old),
    ...overrides,
  };
  rotation = makeRotateCanvasToken({
    secrets: store,
    canvas: fake.canvas,
    canvasBaseUrl: 'https://canvas.example.edu',
    tokenExpiryDays: 30,
    clock: makeFakeClock(),
    logger: makeCapturingLogger(),
  });
};

beforeEach(() => {
  sm = makeMemorySecretsManager();
  fake = makeFakeRotationCanvas();
  seed = fake.seed();
  ({ arn, versionId: initialVersionId } = sm.create(
    'canvas/broker',
    JSON.stringify({
      accessToken: seed.secret,
      tokenId: seed.id,
      userId: 'self',
      tokenHint: seed.secret.slice(0, 5),
    }),
  ));
  sm.enableRotation(arn);
  build();
});

const step = (name: (typeof STEPS)[number], token: string) =>
  rotation.rotate({ SecretId: arn, ClientRequestToken: token, Step: name });

const begin = (): string => sm.startRotation(arn, randomUUID());

const rejectionOf = async (promise: Promise<unknown>): Promise<BrokerError> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerError);
    return error as BrokerError;
  }
  throw new Error('expected the rotation step to fail');
};

const currentVersionId = async () => (await sm.getValue(arn, { stage: STAGE.current }))?.versionId;
const pendingFields = async (token: string) => {
  const pending = await sm.getValue(arn, { versionId: token, stage: STAGE.pending });
  return pending && (JSON.parse(pending.secretString) as Record<string, string>);
};

describe('rotation event and secret state checks', () => {
  it('rejects an event that is not a Secrets Manager rotation event before touching anything', async () => {
    let described = 0;
    build({
      describe: async (id) => {
        described++;
        return sm.describe(id);
      },
    });
    for (const event of [
      null,
      'createSecret',
      {},
      { SecretId: arn, ClientRequestToken: 'short', Step: 'createSecret' },
    ]) {
      expect((await rejectionOf(rotation.rotate(event))).code).toBe('BAD_REQUEST');
    }
    const error = await rejectionOf(
      rotation.rotate({ SecretId: arn, ClientRequestToken: randomUUID(), Step: 'dropSecret' }),
    );
    expect(error.message).toMatch(/Step must be one of createSecret, setSecret, testSecret, finishSecret/);
    expect(described).toBe(0);
  });

  it('refuses a secret that is not enabled for rotation', async () => {
    const other = sm.create('other', JSON.stringify({ accessToken: seed.secret }));
    const token = sm.startRotation(other.arn, randomUUID());
    const error = await rejectionOf(
      rotation.rotate({ SecretId: other.arn, ClientRequestToken: token, Step: 'createSecret' }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
  });

  it('refuses a ClientRequestToken that names no version, or one not labelled AWSPENDING', async () => {
    expect((await rejectionOf(step('createSecret', randomUUID()))).message).toMatch(/has no version/);
    const token = begin();
    sm.removeStage(arn, STAGE.pending, token);
    sm.startRotation(arn, randomUUID());
    // The abandoned version no longer has any label, so Secrets Manager does not list it.
    expect((await rejectionOf(step('createSecret', token))).code).toBe('BAD_REQUEST');
  });

  it('does nothing in any step for a version that is already AWSCURRENT', async () => {
    await expect(step('createSecret', initialVersionId)).resolves.toBeUndefined();
    await expect(step('testSecret', initialVersionId)).resolves.toBeUndefined();
    expect(fake.calls).toEqual([]);
  });

  it('refuses setSecret and testSecret before createSecret stored a value', async () => {
    const token = begin();
    expect((await rejectionOf(step('setSecret', token))).code).toBe('SECRET_NOT_FOUND');
    expect((await rejectionOf(step('testSecret', token))).message).toMatch(/createSecret has not completed/);
  });

  it('refuses a rotation whose current value has no access token', async () => {
    const bad = sm.create('bad', JSON.stringify({ clientId: 'x' }));
    sm.enableRotation(bad.arn);
    const token = sm.startRotation(bad.arn, randomUUID());
    const error = await rejectionOf(
      rotation.rotate({ SecretId: bad.arn, ClientRequestToken: token, Step: 'createSecret' }),
    );
    expect(error.code).toBe('SECRET_MALFORMED');
    expect(fake.calls).toEqual([]);
  });
});

describe('createSecret', () => {
  it('stores the new token with its id, keeps other fields, and keeps the hint field in step', async () => {
    const token = begin();
    await step('createSecret', token);
    const fields = await pendingFields(token);
    const created = fake.live().find((t) => t.id === fields?.tokenId);
    expect(created?.purpose).toBe(`${rotationPurposePrefix(arn)}${token}`);
    expect(fields?.userId).toBe('self');
    expect(fields?.tokenHint).toBe(fields?.accessToken?.slice(0, 5));
    expect(fields?.accessToken).not.toBe(seed.secret);
  });

  it('deletes only unreferenced tokens of this secret, never another secret’s or hand-made ones', async () => {
    const orphan = fake.seed(`${rotationPurposePrefix(arn)}${randomUUID()}`);
    const otherSecrets = fake.seed(`${rotationPurposePrefix(`${arn}-other`)}${randomUUID()}`);
    const handMade = fake.seed('my laptop');
    await step('createSecret', begin());
    const live = fake.live().map((t) => t.id);
    expect(live).not.toContain(orphan.id);
    expect(live).toEqual(expect.arrayContaining([seed.id, otherSecrets.id, handMade.id]));
  });

  it('keeps a token another labelled version still refers to', async () => {
    const first = begin();
    await step('createSecret', first);
    const held = (await pendingFields(first))?.tokenId;
    // A second version also labelled (here AWSPREVIOUS after an operator's manual move) keeps its token.
    await sm.promote(arn, first, initialVersionId);
    await sm.promote(arn, initialVersionId, first);
    sm.removeStage(arn, STAGE.pending, first);
    expect((await sm.describe(arn)).versions[first]).toEqual([STAGE.previous]);
    await step('createSecret', begin());
    expect(fake.live().map((t) => t.id)).toContain(held);
  });

  it('deletes its own token when another run stored a different value first', async () => {
    const token = begin();
    build({
      putPending: async (id, t) => {
        await sm.putPending(id, t, JSON.stringify({ accessToken: seed.secret, tokenId: seed.id }));
        return 'version-exists';
      },
    });
    await step('createSecret', token);
    expect(fake.live().map((t) => t.id)).toEqual([seed.id]);
  });

  it('deletes its token and keeps the error code when the pending value cannot be stored', async () => {
    build({
      putPending: async () => {
        throw new SecretThrottledError('Secrets Manager throttled the call.');
      },
    });
    const error = await rejectionOf(step('createSecret', begin()));
    expect(error.code).toBe('SECRET_THROTTLED');
    expect(error.message).toMatch(
      /could not be stored as AWSPENDING \(it was deleted\); AWSCURRENT is unchanged/,
    );
    expect(fake.live().map((t) => t.id)).toEqual([seed.id]);
  });

  it('leaves the token for the next run when it cannot tell whether the value was stored', async () => {
    let putTried = false;
    build({
      putPending: async () => {
        putTried = true;
        throw new SecretThrottledError('Secrets Manager throttled the call.');
      },
      getValue: async (id, query) => {
        if (putTried) throw new SecretThrottledError('Secrets Manager throttled the call.');
        return sm.getValue(id, query);
      },
    });
    const error = await rejectionOf(step('createSecret', begin()));
    expect(error.message).toMatch(/the next run deletes it/);
    expect(fake.live()).toHaveLength(2);
  });

  it('deletes a token Canvas created in the pending state, which could never authenticate', async () => {
    fake.createState = 'pending';
    const error = await rejectionOf(step('createSecret', begin()));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/state "pending"/);
    expect(fake.live().map((t) => t.id)).toEqual([seed.id]);
  });

  it('goes on creating when an orphan cannot be deleted, leaving it for the next run', async () => {
    const orphan = fake.seed(`${rotationPurposePrefix(arn)}${randomUUID()}`);
    fake.failNext(
      'delete',
      new UpstreamRetryableError('Canvas token delete failed: HTTP 503', { upstreamStatus: 503 }),
    );
    const token = begin();
    await step('createSecret', token);
    expect(await pendingFields(token)).toBeDefined();
    expect(fake.live().map((t) => t.id)).toContain(orphan.id);
  });

  it('asks Canvas for a token expiring after the configured number of days', async () => {
    const seen: Date[] = [];
    const clock = makeFakeClock(Date.UTC(2026, 5, 1));
    rotation = makeRotateCanvasToken({
      secrets: store,
      canvas: (accessToken) => {
        const session = fake.canvas(accessToken);
        return {
          ...session,
          createToken: (userId, input, signal) => {
            seen.push(input.expiresAt);
            return session.createToken(userId, input, signal);
          },
        };
      },
      canvasBaseUrl: 'https://canvas.example.edu',
      tokenExpiryDays: 30,
      clock,
    });
    await step('createSecret', begin());
    expect(seen.map((d) => d.toISOString())).toEqual(['2026-07-01T00:00:00.000Z']);
  });

  it('refuses an expiry that is not a whole number of days from 1 to 3650', () => {
    for (const tokenExpiryDays of [0, 1.5, 3651, Number.NaN]) {
      expect(() =>
        makeRotateCanvasToken({
          secrets: store,
          canvas: fake.canvas,
          canvasBaseUrl: 'https://canvas.example.edu',
          tokenExpiryDays,
          clock: makeFakeClock(),
        }),
      ).toThrow(/whole number of days/);
    }
  });
});

describe('testSecret', () => {
  it('keeps the new token when Canvas is only busy, so a retry of the step can pass', async () => {
    const token = begin();
    await step('createSecret', token);
    fake.failNext(
      'whoami',
      new UpstreamRetryableError('Canvas users self failed: HTTP 503', { upstreamStatus: 503 }),
    );
    const error = await rejectionOf(step('testSecret', token));
    expect(error.code).toBe('UPSTREAM_RETRYABLE');
    expect(error.message).toMatch(/kept for a retry/);
    expect(fake.live()).toHaveLength(2);
    await step('testSecret', token);
    await step('finishSecret', token);
    expect(await currentVersionId()).toBe(token);
  });

  it('deletes the new token when Canvas refuses it for good', async () => {
    const token = begin();
    await step('createSecret', token);
    fake.failNext(
      'whoami',
      new UpstreamFatalError('Canvas users self failed: HTTP 403', { upstreamStatus: 403 }),
    );
    const error = await rejectionOf(step('testSecret', token));
    expect(error.code).toBe('UPSTREAM_FATAL');
    expect(error.message).toMatch(/remove its AWSPENDING label and rotate again/);
    expect(fake.live().map((t) => t.id)).toEqual([seed.id]);
    expect(await currentVersionId()).toBe(initialVersionId);
  });
});

describe('finishSecret', () => {
  it('moves AWSCURRENT first, then deletes the previous token with the new one', async () => {
    const token = begin();
    for (const name of STEPS) await step(name, token);
    expect(await currentVersionId()).toBe(token);
    expect(fake.live().map((t) => t.id)).toEqual([(await pendingFields(token))?.tokenId]);
    expect(sm.versions(arn).find((v) => v.id === initialVersionId)?.stages).toEqual([STAGE.previous]);
  });

  it('reports a failed delete of the previous token after promotion, and deletes it on the retry', async () => {
    const token = begin();
    for (const name of STEPS.slice(0, 3)) await step(name, token);
    fake.failNext(
      'delete',
      new UpstreamRetryableError('Canvas token delete failed: HTTP 503', { upstreamStatus: 503 }),
    );
    const error = await rejectionOf(step('finishSecret', token));
    expect(error.code).toBe('UPSTREAM_RETRYABLE');
    expect(error.message).toMatch(/AWSCURRENT of secret .* holds the new token/);
    expect(await currentVersionId()).toBe(token);
    expect(fake.live().map((t) => t.id)).toContain(seed.id);

    await step('finishSecret', token);
    expect(fake.live().map((t) => t.id)).not.toContain(seed.id);
  });

  it('treats a previous token Canvas no longer has as already deleted', async () => {
    const token = begin();
    for (const name of STEPS.slice(0, 3)) await step(name, token);
    fake.failNext(
      'delete',
      new UpstreamFatalError('Canvas token delete failed: HTTP 404', { upstreamStatus: 404 }),
    );
    await expect(step('finishSecret', token)).resolves.toBeUndefined();
  });
});
