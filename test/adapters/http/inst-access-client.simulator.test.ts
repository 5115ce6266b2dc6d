import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeCanvasJwtClient } from '../../../shared/adapters/http/canvas-jwt-client.ts';
import { makeInstAccessClient } from '../../../shared/adapters/http/inst-access-client.ts';
import type { BrokerError } from '../../../shared/core/errors.ts';
import { captureError, expectNoSecrets } from './support/capture-error.ts';
import {
  ROUND_TRIP_MS,
  SIM_START,
  type SimulatorHarness,
  startSimulatorHarness,
} from './support/simulator-harness.ts';

let h: SimulatorHarness;
beforeAll(async () => {
  h = await startSimulatorHarness();
});
afterAll(() => h.sim.stop());
beforeEach(() => h.reset());

const accessToken = () => h.sim.seeds().canvas.accessToken;
const mint = (token = accessToken(), overrides: Parameters<SimulatorHarness['deps']>[0] = {}) =>
  makeInstAccessClient(h.deps(overrides)).create({ accessToken: token });

describe('InstAccess token create against the simulator', () => {
  it('mints a raw JWE (201): unreadable, one hour from the anchor', async () => {
    const issued = await mint();
    expect(issued).toMatchObject({
      issuedAt: SIM_START - ROUND_TRIP_MS,
      expiresAt: SIM_START - ROUND_TRIP_MS + 3_600_000,
      readableExpiry: false,
    });
    expect(issued.token.split('.')).toHaveLength(5);
    expect(await h.sim.introspect(issued.token)).toMatchObject({ active: true, kind: 'inst-access' });
  });

  it('hits the 403 rate limit after a few rapid mints, and reads it as retryable', async () => {
    // The simulator clock stands still, so the bucket never drains: 200 extra units per mint fill it.
    let error: BrokerError | undefined;
    for (let attempt = 0; attempt < 5 && error === undefined; attempt++) {
      error = await mint().then(
        () => undefined,
        (e: BrokerError) => e,
      );
    }
    expect(error).toMatchObject({ code: 'UPSTREAM_RETRYABLE', upstreamStatus: 403, retryAfterSeconds: 5 });
    expect(error?.message).toContain('Rate Limit Exceeded');
    expectNoSecrets(error, [accessToken()]);
  });

  it('refuses to mint with a services JWT (403, fatal)', async () => {
    const jwt = (await makeCanvasJwtClient(h.deps()).create({ accessToken: accessToken(), params: {} }))
      .token;
    const error = await captureError(mint(jwt));
    expect(error).toMatchObject({ code: 'UPSTREAM_FATAL', upstreamStatus: 403 });
    expectNoSecrets(error, [jwt]);
  });

  it('reads a rotated-away access token as rejected credentials', async () => {
    const old = accessToken();
    await h.control('POST', '/__sim/rotate');
    const error = await captureError(mint(old));
    expect(error).toMatchObject({ code: 'UPSTREAM_CREDENTIALS_REJECTED', upstreamStatus: 401 });
    expectNoSecrets(error, [old]);
  });

  const faults: [string, Record<string, unknown>, string, number][] = [
    ['500 (InstAccess unconfigured)', { kind: 'status', status: 500 }, 'UPSTREAM_RETRYABLE', 500],
    ['a malformed 200', { kind: 'malformed' }, 'UPSTREAM_MALFORMED', 200],
    ['an injected 401', { kind: 'status', status: 401 }, 'UPSTREAM_CREDENTIALS_REJECTED', 401],
  ];

  it.each(faults)('classifies %s', async (_name, fault, code, status) => {
    await h.control('POST', '/__sim/faults', { endpoint: 'inst-access', times: 1, ...fault });
    expect(await captureError(mint())).toMatchObject({ code, upstreamStatus: status });
  });

  it('gives up on a hanging mint at the deadline', async () => {
    await h.control('POST', '/__sim/faults', { endpoint: 'inst-access', kind: 'hang', times: 1 });
    expect((await captureError(mint(accessToken(), { timeoutMs: 200 }))).code).toBe('UPSTREAM_TIMEOUT');
  });
});
