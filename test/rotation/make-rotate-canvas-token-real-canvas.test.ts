import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrokerError, isBrokerError } from '../../shared/core/errors.ts';
import { STAGE } from '../../shared/core/rotation-secret-store.ts';
import { rotationPurposePrefix } from '../../shared/rotation/rotation-purpose.ts';
import { registerCanary } from '../support/canary.ts';
import {
  makeRotationRig,
  newRequestToken,
  type RotationRig,
  type RotationSimulator,
  startRotationSimulator,
} from './support/rotation-harness.ts';

let simulator: RotationSimulator;
beforeAll(async () => {
  simulator = await startRotationSimulator();
});
afterAll(() => simulator.sim.stop());

const DAY_MS = 86_400_000;
/** The harness starts the simulator (and the rotation's clock) here. */
const START = Date.UTC(2030, 0, 15, 12, 0, 0);

const rejectionOf = async (promise: Promise<unknown>): Promise<BrokerError> => {
  try {
    await promise;
  } catch (error) {
    if (isBrokerError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
};

/** Plants a token as an admin, a masquerading session or an earlier run would have left it. */
const plant = async (
  rig: RotationRig,
  body: { purpose: string; workflowState?: 'active' | 'pending'; sameHintAs?: string; userId?: number },
): Promise<{ id: string; token: string }> => {
  const response = await fetch(`${rig.sim.url}/__sim/access-tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const planted = (await response.json()) as { id: number; token: string };
  registerCanary(planted.token);
  return { id: String(planted.id), token: planted.token };
};

const liveIds = async (rig: RotationRig, accessToken: string) =>
  (await rig.canvas(accessToken).listTokens('self'))
    .filter((t) => t.workflowState !== 'deleted')
    .map((t) => t.id);

const pendingValue = (rig: RotationRig, token: string) =>
  rig.sm.getValue(rig.arn, { versionId: token, stage: STAGE.pending });

describe('rotation against a Canvas token policy that clamps expires_at', () => {
  it('keeps the clamped token, stores Canvas’s expiry, publishes its remaining life and reports the short schedule', async () => {
    const rig = makeRotationRig(simulator, { settings: { rotateEveryDays: 30, expiryMarginDays: 3 } });
    rig.sim.setDeployment({ tokenMaxLifetimeSeconds: 7 * 86_400 });
    const token = newRequestToken();
    await rig.rotateAll(token);

    const current = await rig.currentValue();
    expect(current.versionId).toBe(token);
    expect(await rig.whoamiStatus(current.accessToken)).toBe(200);
    const stored = JSON.parse(
      (await rig.sm.getValue(rig.arn, { stage: STAGE.current }))?.secretString ?? '{}',
    );
    expect(stored.expiresAt).toBe(new Date(START + 7 * DAY_MS).toISOString());
    expect(rig.metrics.points).toContainEqual({
      name: 'CanvasTokenRemainingLife',
      value: 7 * 86_400,
      unit: 'Seconds',
    });
    const messages = rig.logger.entries.map((e) => `${e.level} ${e.message}`);
    expect(messages).toContain("warn Canvas shortened the new token's expiry (a site token policy)");
    expect(messages).toContain('error new Canvas token expires before the next scheduled rotation');
  });

  it('says nothing about the schedule when the granted life outlasts the next rotation', async () => {
    const rig = makeRotationRig(simulator, { settings: { rotateEveryDays: 30 } });
    await rig.rotateAll(newRequestToken());
    expect(rig.logger.entries.filter((e) => e.level === 'error')).toEqual([]);
    expect(rig.metrics.points).toContainEqual({
      name: 'CanvasTokenRemainingLife',
      value: 90 * 86_400,
      unit: 'Seconds',
    });
  });
});

describe('rotation when Canvas refuses to create tokens', () => {
  it.each([403, 401] as const)('fails clearly on a %i and changes nothing', async (status) => {
    const rig = makeRotationRig(simulator);
    rig.sim.setDeployment({ tokenCreationRefusedStatus: status });
    const before = await liveIds(rig, rig.seedToken);
    const token = newRequestToken();
    const error = await rejectionOf(rig.rotateAll(token));
    expect(error.upstreamStatus).toBe(status);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      /refused to create a new access token.*nothing was created and AWSCURRENT is unchanged/,
    );
    expect(await pendingValue(rig, token)).toBeUndefined();
    expect((await rig.currentValue()).versionId).toBe(rig.initialVersionId);
    expect(await liveIds(rig, rig.seedToken)).toEqual(before);
    expect(await rig.whoamiStatus(rig.seedToken)).toBe(200);
  });
});

describe('rotation and pending tokens Canvas will not let it delete', () => {
  it('stops before creating another token while one of its own is pending, and says it cannot delete it', async () => {
    const rig = makeRotationRig(simulator);
    rig.sim.setDeployment({ pendingTokensHidden: true });
    const left = await plant(rig, {
      purpose: `${rotationPurposePrefix(rig.arn)}${randomUUID()}`,
      workflowState: 'pending',
    });
    const token = newRequestToken();
    const error = await rejectionOf(rig.rotateAll(token));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(`token(s) ${left.id} of this secret are pending`);
    expect(error.message).toMatch(/cannot be deleted through the Access Tokens API/);
    expect(error.message).toMatch(/No new token is created while one is pending; AWSCURRENT is unchanged/);
    expect(rig.sim.routeStats()['tokens-create']).toBe(0);
    expect(await pendingValue(rig, token)).toBeUndefined();
    expect(rig.metrics.points).toContainEqual({
      name: 'CanvasTokenLeftBehind',
      value: 1,
      unit: 'Count',
      dimensions: { state: 'pending' },
    });
  });

  it('deletes its own pending leftover where Canvas allows it, then rotates', async () => {
    const rig = makeRotationRig(simulator);
    const left = await plant(rig, {
      purpose: `${rotationPurposePrefix(rig.arn)}${randomUUID()}`,
      workflowState: 'pending',
    });
    await rig.rotateAll(newRequestToken());
    expect(await liveIds(rig, (await rig.currentValue()).accessToken)).not.toContain(left.id);
  });

  it('reports a new token Canvas made pending (another user’s) as left behind, not as deleted', async () => {
    const rig = makeRotationRig(simulator, { extraFields: { userId: '2' } });
    rig.sim.setDeployment({ pendingTokensHidden: true });
    const token = newRequestToken();
    const error = await rejectionOf(rig.rotateAll(token));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/state "pending".*It was left behind: a pending token cannot be deleted/);
    expect(await pendingValue(rig, token)).toBeUndefined();
    expect((await rig.currentValue()).versionId).toBe(rig.initialVersionId);
  });
});

describe('rotation when deleting the old token fails after the new one was created', () => {
  it('keeps AWSCURRENT on the working new token, reports the old one, and deletes it on the retry', async () => {
    const rig = makeRotationRig(simulator);
    rig.fault({ endpoint: 'tokens-delete', kind: 'status', status: 500 });
    const token = newRequestToken();
    const error = await rejectionOf(rig.rotateAll(token));
    expect(error.message).toMatch(
      /AWSCURRENT of secret .* holds the new token, but the previous Canvas token could not be deleted/,
    );
    expect(rig.sim.routeStats()['tokens-create']).toBe(1);
    const current = await rig.currentValue();
    expect(current.versionId).toBe(token);
    expect(await rig.whoamiStatus(current.accessToken)).toBe(200);
    expect(await rig.whoamiStatus(rig.seedToken)).toBe(200);

    rig.sim.clearFaults();
    await rig.step('finishSecret', token);
    expect(await rig.whoamiStatus(rig.seedToken)).toBe(401);
    expect(rig.sim.routeStats()['tokens-create']).toBe(1);
  });
});

describe('rotation of a secret set up by hand (no tokenId)', () => {
  it('never deletes another token that shares the old token’s 5-character hint when the old one is already revoked', async () => {
    const rig = makeRotationRig(simulator);
    const twin = await plant(rig, { purpose: 'another integration', sameHintAs: rig.seedToken });
    const token = newRequestToken();
    await rig.rotateAll(token, { until: 'createSecret' });
    // Someone revokes the old token by hand before the rotation finishes.
    const seed = (await rig.canvas(rig.seedToken).listTokens('self')).find(
      (t) => t.purpose === 'Simulator seed token',
    );
    await rig.canvas(rig.seedToken).deleteToken('self', seed?.id ?? '');
    await rig.step('setSecret', token);
    await rig.step('testSecret', token);
    await rig.step('finishSecret', token);

    expect((await rig.currentValue()).versionId).toBe(token);
    expect(await rig.whoamiStatus(twin.token)).toBe(200);
  });

  it('deletes nothing and reports it when several live tokens share the hint', async () => {
    const rig = makeRotationRig(simulator);
    const twin = await plant(rig, { purpose: 'another integration', sameHintAs: rig.seedToken });
    await rig.rotateAll(newRequestToken());
    expect(await rig.whoamiStatus(twin.token)).toBe(200);
    expect(await rig.whoamiStatus(rig.seedToken)).toBe(200);
    expect(rig.logger.entries.map((e) => e.message)).toContain(
      'previous Canvas token not deleted: it cannot be identified uniquely',
    );
    expect(rig.metrics.points).toContainEqual({
      name: 'CanvasTokenLeftBehind',
      value: 1,
      unit: 'Count',
      dimensions: { state: 'unidentified' },
    });
  });

  it('still deletes the old token by its unique hint match', async () => {
    const rig = makeRotationRig(simulator);
    await rig.rotateAll(newRequestToken());
    expect(await rig.whoamiStatus(rig.seedToken)).toBe(401);
  });
});
