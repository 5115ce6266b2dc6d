import { afterEach, describe, expect, it } from 'vitest';
import type { CredentialConfig } from '../../shared/core/credential.ts';
import { isBrokerError } from '../../shared/core/errors.ts';
import { toPublicError } from '../../shared/edge/error-table.ts';
import { type Fleet, SERVICE, startFleet } from '../support/broker-fleet.ts';
import { simulatorCredentials } from '../support/simulator-credentials.ts';

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
});

const calls = async (f: Fleet) =>
  ((await (await f.control('/__sim/stats', undefined, 'GET')).json()) as { calls: Record<string, number> })
    .calls;

/** A rich-content credential: Canvas checks the context of these (jwts_controller.rb `init_context`). */
const withRichContent = (url: string): CredentialConfig[] => [
  ...simulatorCredentials(url),
  {
    id: 'rce',
    kind: 'canvas-jwt',
    secretId: 'canvas-secret',
    baseUrl: url,
    fixedParams: { workflows: ['rich_content'] },
    callerParams: { contextType: '*', contextId: '*', contextUuid: '*' },
  },
];

const statusOf = async (promise: Promise<unknown>): Promise<number> =>
  promise.then(
    () => 200,
    (error: unknown) => {
      expect(isBrokerError(error)).toBe(true);
      return toPublicError(error).status;
    },
  );

describe('careless callers against the simulator and one table', () => {
  it('refuses a context type without its id as a 400, before any table write or upstream call', async () => {
    fleet = await startFleet({ instances: 1, credentials: withRichContent });
    const broker = fleet.brokers[0]!;
    const ask = (params: Record<string, unknown>) =>
      statusOf(broker.getToken(SERVICE, { credentialId: 'rce', params }));
    expect(await ask({ contextType: 'Course' })).toBe(400);
    expect(await ask({ contextType: 'Course' })).toBe(400);
    expect(await ask({ contextId: '1' })).toBe(400);
    // Prototype names are not context types (they used to be sent upstream as `function Object() ...`).
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype']) {
      expect(await ask({ contextType: name, contextId: '1' })).toBe(400);
    }
    expect((await calls(fleet)).jwts ?? 0).toBe(0);
    expect(await fleet.store.list('rce')).toEqual([]);
    // A complete context still works, with one mint.
    expect(await ask({ contextType: 'course', contextId: '1' })).toBe(200);
    expect((await calls(fleet)).jwts).toBe(1);
  });

  it('shares one variant and one mint between {} and the default canvasAudience', async () => {
    fleet = await startFleet({ instances: 1 });
    const broker = fleet.brokers[0]!;
    const a = await broker.getToken(SERVICE, { credentialId: 'canvas-jwt' });
    const b = await broker.getToken(SERVICE, { credentialId: 'canvas-jwt', params: {} });
    const c = await broker.getToken(SERVICE, {
      credentialId: 'canvas-jwt',
      params: { canvasAudience: true },
    });
    expect(new Set([a.token, b.token, c.token]).size).toBe(1);
    expect((await calls(fleet)).jwts).toBe(1);
    expect(await fleet.store.list('canvas-jwt')).toHaveLength(1);
    // A different upstream request is a different variant.
    await broker.getToken(SERVICE, { credentialId: 'canvas-jwt', params: { canvasAudience: false } });
    expect((await calls(fleet)).jwts).toBe(2);
  });

  it('treats an upstream lifetime past 24 hours as a failure with memory, never a 500 loop', async () => {
    fleet = await startFleet({ instances: 1, simulator: { identityExpiresIn: 1e13 } });
    const broker = fleet.brokers[0]!;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push(await statusOf(broker.getToken(SERVICE, { credentialId: 'dap' })));
    expect(statuses[0]).toBe(502);
    expect(statuses.slice(1)).toEqual([503, 503, 503, 503]);
    expect((await calls(fleet))['ids-login']).toBe(1);
    const [item] = await fleet.store.list('dap');
    expect(item?.token).toBeUndefined();
    expect(item?.failure?.code).toBe('UPSTREAM_MALFORMED');
  });

  it('never believes an expires_in given in milliseconds', async () => {
    fleet = await startFleet({ instances: 1, simulator: { identityExpiresIn: 3_599_000 } });
    expect(await statusOf(fleet.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' }))).toBe(502);
    expect((await fleet.store.list('dap'))[0]?.token).toBeUndefined();
  });
});
