import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeCanvasJwtClient } from '../../../shared/adapters/http/canvas-jwt-client.ts';
import { makeCanvasTokensClient } from '../../../shared/adapters/http/canvas-tokens-client.ts';
import { captureError, expectNoSecrets } from './support/capture-error.ts';
import { SIM_START, type SimulatorHarness, startSimulatorHarness } from './support/simulator-harness.ts';

let h: SimulatorHarness;
beforeAll(async () => {
  h = await startSimulatorHarness();
});
afterAll(() => h.sim.stop());
beforeEach(() => h.reset());

const admin = () => h.sim.seeds().canvas.accessToken;
const tokens = (pageSize?: number) =>
  makeCanvasTokensClient({ ...h.deps(), ...(pageSize === undefined ? {} : { pageSize }) });
/** Whether Canvas accepts a token, judged by minting a services JWT with it. */
const works = (accessToken: string) =>
  makeCanvasJwtClient(h.deps())
    .create({ accessToken, params: {} })
    .then(
      () => 'works',
      (error: { code: string }) => error.code,
    );

describe('Canvas Access Tokens API against the simulator (contract section 5)', () => {
  it('lists the seed token with its hint and never its secret', async () => {
    const list = await tokens().list(admin(), 'self');
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ workflowState: 'active', userId: '1', tokenHint: admin().slice(0, 5) });
    expect(list[0]?.secret).toBeUndefined();
  });

  it('follows link rel=next across pages', async () => {
    for (let i = 0; i < 4; i++) await tokens().create(admin(), 'self', { purpose: `extra ${i}` });
    const list = await tokens(2).list(admin(), 'self');
    expect(list.map((t) => t.purpose)).toEqual([
      'Simulator seed token',
      'extra 0',
      'extra 1',
      'extra 2',
      'extra 3',
    ]);
    expect(new Set(list.map((t) => t.id)).size).toBe(5);
    expect(h.sim.stats().tokens).toBe(4 + 3);
  });

  it('creates a usable token (200) whose secret comes back once, then shows it by id and by hint', async () => {
    const created = await tokens().create(admin(), 'self', {
      purpose: 'rotation',
      expiresAt: new Date(SIM_START + 30 * 86_400_000),
    });
    expect(created).toMatchObject({ workflowState: 'active', purpose: 'rotation', userId: '1' });
    const secret = created.secret ?? '';
    expect(created.tokenHint).toBe(secret.slice(0, 5));
    expect(Date.parse(created.expiresAt ?? '')).toBe(SIM_START + 30 * 86_400_000);
    expect(await works(secret)).toBe('works');

    const byId = await tokens().show(admin(), 'self', created.id);
    const byHint = await tokens().show(admin(), 'self', created.tokenHint ?? '');
    expect(byId.id).toBe(created.id);
    expect(byHint.id).toBe(created.id);
    expect(byId.secret).toBeUndefined();
  });

  it('regenerates a token: the new secret works at once and the old one stops', async () => {
    const created = await tokens().create(admin(), 'self', { purpose: 'to regenerate' });
    const regenerated = await tokens().update(created.secret ?? '', 'self', created.id, { regenerate: true });
    expect(regenerated.secret).toBeDefined();
    expect(regenerated.secret).not.toBe(created.secret);
    expect(await works(regenerated.secret ?? '')).toBe('works');
    expect(await works(created.secret ?? '')).toBe('UPSTREAM_CREDENTIALS_REJECTED');
  });

  it('updates the purpose without revealing the secret', async () => {
    const created = await tokens().create(admin(), 'self', { purpose: 'before' });
    const updated = await tokens().update(admin(), 'self', created.id, { purpose: 'after' });
    expect(updated).toMatchObject({ purpose: 'after', id: created.id });
    expect(updated.secret).toBeUndefined();
  });

  it('deletes softly: the token reads deleted and stops authenticating', async () => {
    const created = await tokens().create(admin(), 'self', { purpose: 'doomed' });
    const removed = await tokens().remove(admin(), 'self', created.id);
    expect(removed.workflowState).toBe('deleted');
    expect(await works(created.secret ?? '')).toBe('UPSTREAM_CREDENTIALS_REJECTED');
  });

  it('creates a pending token for another user, which cannot be used', async () => {
    const created = await tokens().create(admin(), 2, { purpose: 'for a student' });
    expect(created.workflowState).toBe('pending');
    expect(await works(created.secret ?? '')).toBe('UPSTREAM_CREDENTIALS_REJECTED');
  });
});

describe('Canvas Access Tokens API failures from the simulator', () => {
  it('reads a create without purpose (bare array body) as fatal, quoting the message', async () => {
    const error = await captureError(tokens().create(admin(), 'self', { purpose: '' }));
    expect(error).toMatchObject({ code: 'UPSTREAM_FATAL', upstreamStatus: 400 });
    expect(error.message).toContain('token[purpose] is missing');
    expectNoSecrets(error, [admin()]);
  });

  it("reads another user's token as not found (404, fatal)", async () => {
    const [studentToken] = await tokens().list(admin(), 2);
    expect(studentToken).toBeDefined();
    const error = await captureError(tokens().show(admin(), 'self', studentToken?.id ?? ''));
    expect(error).toMatchObject({ code: 'UPSTREAM_FATAL', upstreamStatus: 404 });
  });

  it('reads regenerating an expired token without a new expiry as fatal', async () => {
    const created = await tokens().create(admin(), 'self', {
      purpose: 'short',
      expiresAt: new Date(SIM_START + 3_600_000),
    });
    h.advance(2 * 3_600_000);
    const error = await captureError(tokens().update(admin(), 'self', created.id, { regenerate: true }));
    expect(error).toMatchObject({ code: 'UPSTREAM_FATAL', upstreamStatus: 400 });
    expect(error.message).toContain('cannot regenerate an expired token');
    expectNoSecrets(error, [admin(), created.secret ?? '']);
  });

  it('reads a rotated-away token as rejected credentials', async () => {
    const old = admin();
    await h.control('POST', '/__sim/rotate');
    const error = await captureError(tokens().list(old, 'self'));
    expect(error).toMatchObject({ code: 'UPSTREAM_CREDENTIALS_REJECTED', upstreamStatus: 401 });
    expectNoSecrets(error, [old]);
  });

  it('reads the rate-limit text as retryable', async () => {
    await h.control('POST', '/__sim/faults', { endpoint: 'tokens', kind: 'rate-limit', times: 1 });
    expect(await captureError(tokens().list(admin(), 'self'))).toMatchObject({
      code: 'UPSTREAM_RETRYABLE',
      upstreamStatus: 403,
      retryAfterSeconds: 5,
    });
  });
});
