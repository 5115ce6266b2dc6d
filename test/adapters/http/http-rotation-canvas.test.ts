import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeHttpRotationCanvas } from '../../../shared/adapters/http/http-rotation-canvas.ts';
import type { RotationCanvas } from '../../../shared/core/rotation-canvas.ts';
import {
  type RotationSimulator,
  startRotationSimulator,
  USER_AGENT,
} from '../../rotation/support/rotation-harness.ts';
import { registerCanary } from '../../support/canary.ts';

let simulator: RotationSimulator;
let canvas: RotationCanvas;
let seedToken: string;

beforeAll(async () => {
  simulator = await startRotationSimulator();
  canvas = makeHttpRotationCanvas({
    baseUrl: simulator.sim.url,
    clock: simulator.clock,
    timeoutMs: 5_000,
    userAgent: USER_AGENT,
  });
});
afterAll(async () => {
  await simulator.sim.stop();
});
beforeEach(() => {
  simulator.sim.reset();
  seedToken = simulator.sim.seeds().canvas.accessToken;
  registerCanary(seedToken);
});

describe('the rotation’s Canvas over HTTP', () => {
  it('proves a token works with GET /api/v1/users/self', async () => {
    const me = await canvas(seedToken).whoami();
    expect(me.id).toBe(String(simulator.sim.seeds().canvas.userId));
  });

  it('reports a token Canvas does not accept as rejected credentials', async () => {
    await expect(canvas('1~not-a-real-token-at-all').whoami()).rejects.toMatchObject({
      code: 'UPSTREAM_CREDENTIALS_REJECTED',
      upstreamStatus: 401,
    });
  });

  it('creates a token whose secret works, lists it by purpose, and deletes it', async () => {
    const session = canvas(seedToken);
    const created = await session.createToken('self', {
      purpose: 'rotation adapter test',
      expiresAt: new Date(simulator.clock.now() + 86_400_000),
    });
    expect(created.secret).toBeDefined();
    registerCanary(created.secret ?? '');
    await expect(canvas(created.secret ?? '').whoami()).resolves.toBeDefined();
    expect((await session.listTokens('self')).map((t) => t.purpose)).toContain('rotation adapter test');
    await session.deleteToken('self', created.id);
    await expect(canvas(created.secret ?? '').whoami()).rejects.toMatchObject({ upstreamStatus: 401 });
  });

  it('answers a delete of a token Canvas does not have with a 404 error', async () => {
    await expect(canvas(seedToken).deleteToken('self', '999999')).rejects.toMatchObject({
      upstreamStatus: 404,
    });
  });
});
