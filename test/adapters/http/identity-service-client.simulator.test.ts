import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeIdentityServiceClient } from '../../../shared/adapters/http/identity-service-client.ts';
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

const login = (overrides: Parameters<SimulatorHarness['deps']>[0] = {}) =>
  makeIdentityServiceClient(h.deps(overrides)).login(h.sim.seeds().identity);

describe('Identity Service login against the simulator', () => {
  it('logs in with the seeded client credentials and gets a live token', async () => {
    const issued = await login();
    // Anchored on the simulator's Date minus the round trip, although the local clock is 5 min ahead.
    expect(issued.issuedAt).toBe(SIM_START - ROUND_TRIP_MS);
    // expires_in (3599 s from the anchor) ends 1.5 s before the JWT exp, so it wins.
    expect(issued.expiresAt).toBe(SIM_START - ROUND_TRIP_MS + 3_599_000);
    expect(issued.readableExpiry).toBe(true);
    expect(await h.sim.introspect(issued.token)).toMatchObject({
      active: true,
      kind: 'ids',
      exp: SIM_START / 1000 + 3599,
    });
    expect(h.sim.stats()['ids-login']).toBe(1);
  });

  it('follows the simulator clock offset set through the control API', async () => {
    await h.control('POST', '/__sim/clock', { offsetSeconds: -600 });
    const issued = await login();
    expect(issued.issuedAt).toBe(SIM_START - 600_000 - ROUND_TRIP_MS);
  });

  it('reads wrong client credentials as rejected, without echoing them', async () => {
    const { clientId, clientSecret } = h.sim.seeds().identity;
    const wrong = `${clientSecret}-wrong`;
    const error = await captureError(
      makeIdentityServiceClient(h.deps()).login({ clientId, clientSecret: wrong }),
    );
    expect(error).toMatchObject({ code: 'UPSTREAM_CREDENTIALS_REJECTED', upstreamStatus: 401 });
    expectNoSecrets(error, [clientSecret, wrong]);
  });

  it('rejects the old secret after rotation and accepts the new one', async () => {
    const before = h.sim.seeds().identity;
    await h.control('POST', '/__sim/rotate');
    const error = await captureError(makeIdentityServiceClient(h.deps()).login(before));
    expect(error.code).toBe('UPSTREAM_CREDENTIALS_REJECTED');
    expect((await login()).readableExpiry).toBe(true);
  });
});

describe('Identity Service faults from the simulator', () => {
  const cases: [string, Record<string, unknown>, string, number, number?][] = [
    ['403 AccountDisabled', { kind: 'status', status: 403 }, 'UPSTREAM_FATAL', 403],
    [
      '403 AccountNotOnboarded',
      { kind: 'status', status: 403, errorType: 'AccountNotOnboarded' },
      'UPSTREAM_FATAL',
      403,
    ],
    [
      '403 AccountUnderMaintenance',
      { kind: 'status', status: 403, errorType: 'AccountUnderMaintenance' },
      'UPSTREAM_FATAL',
      403,
    ],
    [
      '403 without a fatal account type',
      { kind: 'status', status: 403, errorType: 'Forbidden' },
      'UPSTREAM_CREDENTIALS_REJECTED',
      403,
    ],
    ['401', { kind: 'status', status: 401 }, 'UPSTREAM_CREDENTIALS_REJECTED', 401],
    ['400', { kind: 'status', status: 400 }, 'UPSTREAM_FATAL', 400],
    ['429 rate limit with Retry-After', { kind: 'rate-limit' }, 'UPSTREAM_RETRYABLE', 429, 60],
    [
      '429 with a chosen Retry-After',
      { kind: 'status', status: 429, retryAfter: 7 },
      'UPSTREAM_RETRYABLE',
      429,
      7,
    ],
    ['500', { kind: 'status', status: 500 }, 'UPSTREAM_RETRYABLE', 500],
    ['503 with Retry-After', { kind: 'status', status: 503, retryAfter: 30 }, 'UPSTREAM_RETRYABLE', 503, 30],
    ['a malformed 200', { kind: 'malformed' }, 'UPSTREAM_MALFORMED', 200],
  ];

  it.each(cases)('classifies %s', async (_name, fault, code, status, retryAfter) => {
    await h.control('POST', '/__sim/faults', { endpoint: 'ids-login', times: 1, ...fault });
    const error = await captureError(login());
    expect(error).toMatchObject({ code, upstreamStatus: status });
    expect(error.retryAfterSeconds).toBe(retryAfter);
    expectNoSecrets(error, [h.sim.seeds().identity.clientSecret]);
    // The fault was one-shot: the next login succeeds.
    expect((await login()).readableExpiry).toBe(true);
  });

  it('gives up on a hanging login at the deadline', async () => {
    await h.control('POST', '/__sim/faults', { endpoint: 'ids-login', kind: 'hang', times: 1 });
    const error = await captureError(login({ timeoutMs: 200 }));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
  });

  it('gives up on a login slower than the deadline', async () => {
    await h.control('POST', '/__sim/faults', {
      endpoint: 'ids-login',
      kind: 'delay',
      delayMs: 60_000,
      times: 1,
    });
    expect((await captureError(login({ timeoutMs: 200 }))).code).toBe('UPSTREAM_TIMEOUT');
  });
});
