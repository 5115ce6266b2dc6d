import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/core/broker-settings.ts';
import type { BrokerError } from '../../shared/core/errors.ts';
import { isBrokerError } from '../../shared/core/errors.ts';
import { makeTokenApiHandler } from '../../shared/edge/token-api-handler.ts';
import { type CallerIdentity, lambdaContext, restEvent } from '../support/api-gateway-event.ts';
import { type Fleet, SERVICE, startFleet } from '../support/broker-fleet.ts';
import { makeCapturingLogger, makeCapturingMetrics } from '../support/canary.ts';
import { makeFakeClock } from '../support/fake-clock.ts';
import { simulatorCredentials } from '../support/simulator-credentials.ts';

const MIN = 60_000;
let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
});

const calls = async (f: Fleet) =>
  ((await (await f.control('/__sim/stats', undefined, 'GET')).json()) as { calls: Record<string, number> })
    .calls;

const fault = async (f: Fleet, spec: object) => {
  expect((await f.control('/__sim/faults', spec)).status).toBe(204);
};

/** The fleet's admin (SERVICE) as API Gateway sees it: an assumed-role session of role/etl. */
const ETL: CallerIdentity = {
  userArn: 'arn:aws:sts::111122223333:assumed-role/etl/etl-task-1',
  accountId: '111122223333',
  caller: 'AROAEXAMPLEROLEID0003:etl-task-1',
  accessKey: 'ASIAEXAMPLESESSION03',
};

const rejection = async (promise: Promise<unknown>): Promise<BrokerError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBrokerError(error)) throw new Error(`expected a BrokerError, got ${String(error)}`);
  return error;
};

describe('a canvas-jwt renewal when Canvas answers 500 to /api/v1/jwts/refresh', () => {
  it('serves a new token from a new mint after an admin forced refresh through the token API', async () => {
    const base = makeFakeClock(Date.now());
    fleet = await startFleet({
      instances: 2,
      clocks: [base, base],
      simulatorNow: base.now,
      random: () => 0.5,
    });
    const f = fleet;
    const first = await f.brokers[0]!.getToken(SERVICE, { credentialId: 'canvas-jwt' });
    await fault(f, { endpoint: 'jwts-refresh', kind: 'status', status: 500 });

    const handle = makeTokenApiHandler({ broker: f.brokers[1]!, logger: makeCapturingLogger() });
    const { event } = restEvent({
      method: 'POST',
      path: '/v1/credentials/canvas-jwt/refresh',
      identity: ETL,
    });
    const response = await handle(event, lambdaContext());
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ refreshed: 1 });

    expect(await calls(f)).toMatchObject({ 'jwts-refresh': 1, jwts: 2 });
    const served = await f.brokers[1]!.getToken(SERVICE, { credentialId: 'canvas-jwt' });
    expect(served.token).not.toBe(first.token);
    // The other instance re-checks its memory tier against the table within memoryRecheckMs.
    base.advance(31_000);
    expect((await f.brokers[0]!.getToken(SERVICE, { credentialId: 'canvas-jwt' })).token).toBe(served.token);
    expect((await f.sim.introspect(served.token)).active).toBe(true);
    const detail = await f.brokers[0]!.describeCredential(SERVICE, 'canvas-jwt');
    expect(detail.recentMints[0]).toMatchObject({ fingerprint: served.fingerprint, via: 'mint' });
  });

  it('never answers TOKEN_UNAVAILABLE to callers while a mint would succeed, token life after token life', async () => {
    const base = makeFakeClock(Date.now());
    fleet = await startFleet({
      instances: 2,
      clocks: [base, base],
      simulatorNow: base.now,
      random: () => 0.5,
    });
    const f = fleet;
    let previous = await f.brokers[0]!.getToken(SERVICE, { credentialId: 'canvas-jwt' });
    await fault(f, { endpoint: 'jwts-refresh', kind: 'status', status: 500 });
    for (let life = 1; life <= 3; life++) {
      // A whole lifetime on: nothing left to serve, the caller's own cycle renews.
      base.advance(60 * MIN);
      const served = await f.brokers[life % 2]!.getToken(SERVICE, { credentialId: 'canvas-jwt' });
      expect(served.tier).toBe('upstream');
      expect(served.token).not.toBe(previous.token);
      expect((await f.sim.introspect(served.token)).active).toBe(true);
      expect(await calls(f)).toMatchObject({ 'jwts-refresh': life, jwts: life + 1 });
      previous = served;
    }
  });
});

describe('persistent upstream failure (InstAccess not configured: 500 forever)', () => {
  it('turns unhealthy after 15 minutes with one WARN line, and healthy again with one more, retrying no faster', async () => {
    const base = makeFakeClock(Date.now());
    const logger = makeCapturingLogger();
    const metrics = makeCapturingMetrics();
    fleet = await startFleet({
      instances: 2,
      clocks: [base, base],
      simulatorNow: base.now,
      random: () => 0.5,
      logger,
      metrics,
    });
    const f = fleet;
    await fault(f, { endpoint: 'inst-access', kind: 'status', status: 500 });
    const start = base.now();
    const transitions = (message: string) => logger.entries.filter((e) => e.message.startsWith(message));

    let attempts = 0;
    while (base.now() - start < 20 * MIN) {
      const error = await rejection(
        f.brokers[attempts % 2]!.getToken(SERVICE, { credentialId: 'inst-access' }),
      );
      expect(error.code).toBe('TOKEN_UNAVAILABLE');
      expect(error.retryAfterSeconds).toBeGreaterThan(0);
      // A polite caller: waits exactly the Retry-After it was given.
      base.advance((error.retryAfterSeconds ?? 1) * 1000);
      attempts++;
      expect(attempts).toBeLessThan(500);
    }

    const upstreamCalls = (await calls(f))['inst-access']!;
    // Capped, jittered backoff (1 s doubling to a 150 s mean at this jitter): ~16 calls in 20 min.
    expect(upstreamCalls).toBeLessThanOrEqual(20);
    expect(transitions('credential unhealthy')).toHaveLength(1);
    expect(transitions('credential unhealthy')[0]).toMatchObject({
      level: 'warn',
      fields: { credentialId: 'inst-access', code: 'UPSTREAM_RETRYABLE' },
    });
    const failingForMs = transitions('credential unhealthy')[0]!.fields!.failingForMs as number;
    expect(failingForMs).toBeGreaterThanOrEqual(15 * MIN);

    const handle = makeTokenApiHandler({ broker: f.brokers[0]!, logger: makeCapturingLogger() });
    const detail = await handle(
      restEvent({ method: 'GET', path: '/v1/credentials/inst-access', identity: ETL }).event,
      lambdaContext(),
    );
    expect(detail.statusCode).toBe(200);
    const view = JSON.parse(detail.body);
    expect(view.health).toMatchObject({ state: 'unhealthy', code: 'UPSTREAM_RETRYABLE', variants: 1 });
    expect(Date.parse(view.health.since)).toBeLessThanOrEqual(start + 2_000);
    expect(view.variants[0].failing).toMatchObject({ code: 'UPSTREAM_RETRYABLE', unhealthy: true });
    const unhealthyPoints = metrics.points.filter(
      (p) => p.name === 'CredentialUnhealthy' && p.dimensions?.credentialId === 'inst-access',
    );
    expect(unhealthyPoints.at(-1)?.value).toBe(1);
    expect(unhealthyPoints.filter((p) => p.value === 1).length).toBeGreaterThanOrEqual(1);

    // InstAccess gets configured: the next renewal after the hold succeeds.
    expect((await f.control('/__sim/faults', undefined, 'DELETE')).status).toBe(204);
    let served: Awaited<ReturnType<Fleet['brokers'][number]['getToken']>> | undefined;
    for (let i = 0; served === undefined; i++) {
      expect(i).toBeLessThan(10);
      const outcome = await f.brokers[i % 2]!.getToken(SERVICE, { credentialId: 'inst-access' }).catch(
        (e: unknown) => e,
      );
      if (isBrokerError(outcome)) base.advance((outcome.retryAfterSeconds ?? 1) * 1000);
      else served = outcome as typeof served;
    }
    expect(transitions('credential healthy again')).toHaveLength(1);
    expect(transitions('credential unhealthy')).toHaveLength(1);
    const after = await f.brokers[1]!.describeCredential(SERVICE, 'inst-access');
    expect(after.health).toEqual({ state: 'healthy' });
    const last = metrics.points.filter((p) => p.name === 'CredentialUnhealthy').at(-1);
    expect(last).toMatchObject({ value: 0, dimensions: { credentialId: 'inst-access' } });
  });
});

describe('throttling holds the whole credential (issue 13 item 3)', () => {
  const withContexts = (url: string) =>
    simulatorCredentials(url).map((c) =>
      c.id === 'canvas-jwt'
        ? { ...c, callerParams: { canvasAudience: '*', contextType: ['Course'], contextId: '*' } as const }
        : c,
    );

  it('after a 429 with Retry-After: 120 on one parameter set, no other parameter set calls upstream in that window', async () => {
    const base = makeFakeClock(Date.now());
    fleet = await startFleet({
      instances: 2,
      clocks: [base, base],
      simulatorNow: base.now,
      random: () => 0.5,
      credentials: withContexts,
    });
    const f = fleet;
    const valid = await f.brokers[0]!.getToken(SERVICE, { credentialId: 'canvas-jwt' });
    await fault(f, { endpoint: 'jwts', kind: 'status', status: 429, retryAfter: 120 });
    const before = (await calls(f)).jwts!;

    for (let i = 1; i <= 6; i++) {
      const error = await rejection(
        f.brokers[i % 2]!.getToken(SERVICE, {
          credentialId: 'canvas-jwt',
          params: { contextType: 'Course', contextId: String(i) },
        }),
      );
      expect(error.code).toBe('TOKEN_UNAVAILABLE');
      expect(error.retryAfterSeconds).toBeGreaterThan(0);
      // Upstream's 120 s plus what another instance's clock may disagree by (hold-tracker.ts).
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(
        120 + Math.ceil((2 * DEFAULT_SETTINGS.clockSkewToleranceMs) / 1000),
      );
      base.advance(5_000);
    }
    expect((await calls(f)).jwts! - before).toBe(1);

    // A caller whose token is still valid is served throughout, on either instance.
    for (const broker of f.brokers) {
      expect((await broker.getToken(SERVICE, { credentialId: 'canvas-jwt' })).token).toBe(valid.token);
    }
  });

  it('keeps other failures per variant: a 500 on one parameter set does not hold the others', async () => {
    const base = makeFakeClock(Date.now());
    fleet = await startFleet({
      instances: 1,
      clocks: [base],
      simulatorNow: base.now,
      random: () => 0.5,
      credentials: withContexts,
    });
    const f = fleet;
    await fault(f, { endpoint: 'jwts', kind: 'status', status: 500, times: 1 });
    const params = (id: string) => ({ contextType: 'Course', contextId: id });
    const error = await rejection(
      f.brokers[0]!.getToken(SERVICE, { credentialId: 'canvas-jwt', params: params('1') }),
    );
    expect(error.code).toBe('TOKEN_UNAVAILABLE');
    const other = await f.brokers[0]!.getToken(SERVICE, { credentialId: 'canvas-jwt', params: params('2') });
    expect(other.tier).toBe('upstream');
    expect(await f.store.readCredentialHold('canvas-jwt')).toBeUndefined();
  });
});
