import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { backoffHoldMs } from '../../shared/core/backoff.ts';
import { DEFAULT_SETTINGS } from '../../shared/core/broker-settings.ts';
import { isBrokerError } from '../../shared/core/errors.ts';
import { variantId } from '../../shared/core/variant-id.ts';
import { type Fleet, SERVICE, startFleet } from '../support/broker-fleet.ts';
import { makeFakeClock, skewed } from '../support/fake-clock.ts';

const MIN = 60_000;
let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
});

/** A transport whose first request waits until the test opens the gate (a holder mid-refresh). */
const gatedFetch = () => {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const arrived = new Promise<void>((resolve) => {
    reached = resolve;
  });
  let first = true;
  const gated: typeof fetch = async (input, init) => {
    if (first) {
      first = false;
      reached();
      await opened;
    }
    return fetch(input, init);
  };
  return { fetch: gated, reached: arrived, open };
};

const calls = async (f: Fleet) =>
  ((await (await f.control('/__sim/stats', undefined, 'GET')).json()) as { calls: Record<string, number> })
    .calls;

describe('a fleet of broker instances over one table and one upstream', () => {
  it('answers 1,000 concurrent requests for a cold credential across 8 instances with exactly one mint', async () => {
    fleet = await startFleet({ instances: 8 });
    const { brokers } = fleet;
    const results = await Promise.allSettled(
      Array.from({ length: 1000 }, (_, i) => brokers[i % 8]!.getToken(SERVICE, { credentialId: 'dap' })),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toEqual([]);
    const tokens = new Set(results.map((r) => (r as PromiseFulfilledResult<{ token: string }>).value.token));
    expect(tokens.size).toBe(1);
    expect((await calls(fleet))['ids-login']).toBe(1);
  });

  it('serves all three token kinds from the simulator', async () => {
    fleet = await startFleet({ instances: 2 });
    for (const credentialId of ['dap', 'canvas-jwt', 'inst-access']) {
      const served = await fleet.brokers[0]!.getToken(SERVICE, { credentialId });
      expect((await fleet.sim.introspect(served.token)).active).toBe(true);
      expect((await fleet.brokers[1]!.getToken(SERVICE, { credentialId })).token).toBe(served.token);
    }
    expect(await calls(fleet)).toMatchObject({ 'ids-login': 1, jwts: 1, 'inst-access': 1 });
  });

  it('stores no plaintext token, and an envelope moved to another item never opens', async () => {
    fleet = await startFleet({ instances: 2 });
    const dap = await fleet.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' });
    const jwt = await fleet.brokers[0]!.getToken(SERVICE, { credentialId: 'canvas-jwt' });
    const key = (credentialId: string, params: object) => ({
      pk: { S: `CRED#${credentialId}` },
      sk: { S: `VARIANT#${variantId(params)}` },
    });
    const raw = await fleet.dynamo.client.send(
      new GetItemCommand({
        TableName: fleet.tableName,
        Key: key('canvas-jwt', { workflows: ['ui'] }),
        ConsistentRead: true,
      }),
    );
    const rawText = JSON.stringify(raw.Item);
    expect(rawText).not.toContain(jwt.token);
    expect(rawText).toContain(jwt.fingerprint);
    // Swap the JWT's envelope into the DAP item (same version number, other credential and variant).
    const envelopeAttrs = Object.fromEntries(
      Object.entries(raw.Item ?? {}).filter(([name]) =>
        /^(env|envelope|keyRef|encryptedKey|iv|tag|ciphertext)/i.test(name),
      ),
    );
    expect(Object.keys(envelopeAttrs).length).toBeGreaterThan(0);
    const names = Object.keys(envelopeAttrs);
    await fleet.dynamo.client.send(
      new UpdateItemCommand({
        TableName: fleet.tableName,
        Key: key('dap', {}),
        UpdateExpression: `SET ${names.map((_, i) => `#n${i} = :v${i}`).join(', ')}, fingerprint = :fp`,
        ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#n${i}`, n])),
        ExpressionAttributeValues: {
          ...Object.fromEntries(names.map((n, i) => [`:v${i}`, envelopeAttrs[n]!])),
          ':fp': { S: jwt.fingerprint },
        },
      }),
    );
    const fresh = await fleet.brokers[1]!.getToken(SERVICE, { credentialId: 'dap' });
    expect(fresh.token).not.toBe(jwt.token);
    expect(fresh.token).not.toBe(dap.token);
    expect((await calls(fleet))['ids-login']).toBe(2);
  });

  it('rejects a minTtlSeconds beyond what a fresh token gives, without any upstream call', async () => {
    fleet = await startFleet({ instances: 1 });
    await expect(
      fleet.brokers[0]!.getToken(SERVICE, { credentialId: 'dap', minTtlSeconds: 3599 }),
    ).rejects.toMatchObject({
      code: 'MIN_TTL_UNSATISFIABLE',
    });
    expect((await calls(fleet))['ids-login']).toBe(0);
  });
});

describe('lease holders that crash or pause', () => {
  it('takes over a crashed holder lease once it has passed, with one mint; meanwhile a caller gets 503 with Retry-After', async () => {
    const base = makeFakeClock(Date.now());
    fleet = await startFleet({ instances: 1, clocks: [base], simulatorNow: base.now });
    const key = { credentialId: 'dap', variantId: variantId({}) };
    const lease = { id: 'crashed-holder', owner: 'dead', at: base.now(), ms: DEFAULT_SETTINGS.leaseMs };
    expect(
      await fleet.store.acquireLease(key, { kind: 'identity-service', params: {} }, lease, { version: 0 }),
    ).toBe(true);
    const start = base.now();
    // The lease outlasts one request's wait (maxWaitMs) by design: 503 rather than a gateway timeout.
    const waited = await fleet.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' }).catch(
      (e: unknown) => e,
    );
    expect(waited).toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    expect(base.now() - start).toBeLessThanOrEqual(
      DEFAULT_SETTINGS.maxWaitMs + DEFAULT_SETTINGS.pollMaxMs * 2,
    );
    base.set(start + DEFAULT_SETTINGS.leaseMs + DEFAULT_SETTINGS.clockSkewToleranceMs * 2);
    const served = await fleet.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' });
    expect(served.tier).toBe('upstream');
    expect((await calls(fleet))['ids-login']).toBe(1);
  });

  it('caps a stored 10-day lease at the longest lease an instance writes', async () => {
    const base = makeFakeClock(Date.now());
    fleet = await startFleet({ instances: 1, clocks: [base], simulatorNow: base.now });
    const key = { credentialId: 'dap', variantId: variantId({}) };
    const hostile = { id: 'hostile', owner: 'buggy', at: base.now(), ms: 10 * 86_400_000 };
    expect(
      await fleet.store.acquireLease(key, { kind: 'identity-service', params: {} }, hostile, { version: 0 }),
    ).toBe(true);
    const start = base.now();
    await expect(fleet.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' })).rejects.toMatchObject({
      code: 'TOKEN_UNAVAILABLE',
    });
    base.set(start + DEFAULT_SETTINGS.leaseMs + DEFAULT_SETTINGS.clockSkewToleranceMs * 2);
    await expect(fleet.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' })).resolves.toMatchObject({
      tier: 'upstream',
    });
    expect((await calls(fleet))['ids-login']).toBe(1);
  });

  it('rejects the late write of a holder that paused past its lease; the newer token survives', async () => {
    fleet = await startFleet({
      instances: 2,
      settings: { leaseMs: 300, pollMinMs: 20, pollMaxMs: 60 },
      upstreamTimeoutMs: 10_000,
    });
    const f = fleet;
    expect(
      (await f.control('/__sim/faults', { endpoint: 'ids-login', kind: 'delay', delayMs: 1500, times: 1 }))
        .status,
    ).toBe(204);
    const paused = f.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const winner = await f.brokers[1]!.getToken(SERVICE, { credentialId: 'dap' });
    const late = await paused;
    expect(late.token).toBe(winner.token);
    const [item] = await f.store.list('dap');
    expect(item?.token?.fingerprint).toBe(winner.fingerprint);
    expect(item?.version).toBe(1);
    expect((await calls(f))['ids-login']).toBe(2);
  });
});

describe('instances whose clocks disagree by up to ±5 minutes, with the default settings', () => {
  it('never serves an expired token and never storms upstream over six simulated hours', async () => {
    const base = makeFakeClock(Date.now());
    const clocks = [-5 * MIN, 0, 5 * MIN].map((offset) => skewed(base, offset));
    // No clockSkewToleranceMs override: each instance measures its own offset from response Dates.
    fleet = await startFleet({ instances: 3, clocks, simulatorNow: base.now });
    const f = fleet;
    for (let minute = 0; minute < 6 * 60; minute += 2) {
      for (const broker of f.brokers) {
        const served = await broker.getToken(SERVICE, { credentialId: 'dap', minTtlSeconds: 120 });
        const seen = await f.sim.introspect(served.token);
        expect(seen.active).toBe(true);
        const left = (seen.exp ?? 0) * 1000 - base.now();
        expect(left).toBeGreaterThanOrEqual(120_000);
        // The promised life is true on the upstream's clock, whatever the instance's own clock says.
        expect(served.expiresIn * 1000).toBeLessThanOrEqual(left);
      }
      // A background renewal finishes before time jumps on (it takes milliseconds, not 2 min).
      await f.idle();
      base.advance(2 * MIN);
    }
    // Six hours of one-hour tokens: 6 is the floor, one renewal per token lifetime at most.
    const upstreamCalls = (await calls(f))['ids-login']!;
    expect(upstreamCalls).toBeLessThanOrEqual(7);
    // Every upstream mint became the served token: none was wasted by a takeover and fenced out.
    expect(await f.store.listMints('dap', 100)).toHaveLength(upstreamCalls);
  });

  it('never takes over early a lease written by an instance whose clock is 5 min slow', async () => {
    const base = makeFakeClock(Date.now());
    const gate = gatedFetch();
    fleet = await startFleet({
      instances: 2,
      clocks: [skewed(base, -5 * MIN), base],
      simulatorNow: base.now,
      upstreamTimeoutMs: 30_000,
      fetchFor: (i) => (i === 0 ? gate.fetch : fetch),
    });
    const f = fleet;
    const slow = f.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' });
    await gate.reached; // the slow instance holds the lease and is minting
    const other = await f.brokers[1]!.getToken(SERVICE, { credentialId: 'dap' }).catch((e: unknown) => e);
    expect(other).toMatchObject({ code: 'TOKEN_UNAVAILABLE', details: { reason: 'REFRESH_IN_PROGRESS' } });
    gate.open();
    const served = await slow;
    await expect(f.brokers[1]!.getToken(SERVICE, { credentialId: 'dap' })).resolves.toMatchObject({
      token: served.token,
    });
    expect((await calls(f))['ids-login']).toBe(1);
  });

  it('publishes each instance its measured offset, within the Date resolution', async () => {
    const base = makeFakeClock(Date.now());
    const offsets = [-5 * MIN, 0, 5 * MIN];
    fleet = await startFleet({
      instances: 3,
      clocks: offsets.map((o) => skewed(base, o)),
      simulatorNow: base.now,
    });
    for (const broker of fleet.brokers) await broker.getToken(SERVICE, { credentialId: 'dap' });
    fleet.offsets.forEach((estimator, i) => {
      const bound = estimator.bound(base.now() + offsets[i]!);
      expect(bound).toBeDefined();
      expect(bound!.lo).toBeLessThanOrEqual(-offsets[i]!);
      expect(bound!.hi).toBeGreaterThanOrEqual(-offsets[i]!);
      expect(bound!.hi - bound!.lo).toBeLessThanOrEqual(1_000);
    });
  });
});

describe('a refresh slower than the old 15 s lease, within its deadlines', () => {
  it('is never taken over: one mint', async () => {
    const base = makeFakeClock(Date.now());
    const gate = gatedFetch();
    fleet = await startFleet({
      instances: 2,
      clocks: [base, base],
      simulatorNow: base.now,
      upstreamTimeoutMs: 30_000,
      fetchFor: (i) => (i === 0 ? gate.fetch : fetch),
    });
    const f = fleet;
    const holder = f.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' });
    await gate.reached;
    // upstream 5 s + Secrets Manager re-read 2 × 3 s + upstream 5 s: 16 s into the holder's work.
    base.advance(16_000);
    const other = await f.brokers[1]!.getToken(SERVICE, { credentialId: 'dap' }).catch((e: unknown) => e);
    expect(other).toMatchObject({ code: 'TOKEN_UNAVAILABLE', details: { reason: 'REFRESH_IN_PROGRESS' } });
    expect((other as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    gate.open();
    const served = await holder;
    expect(served.tier).toBe('upstream');
    expect((await calls(f))['ids-login']).toBe(1);
  });
});

describe('Retry-After after an upstream failure', () => {
  it.each([
    { writer: 0, reader: 0 },
    { writer: 5 * MIN, reader: -5 * MIN },
    { writer: -5 * MIN, reader: 5 * MIN },
  ])(
    'is enough: waited once, another instance serves (clocks $writer ms and $reader ms off)',
    async ({ writer, reader }) => {
      const base = makeFakeClock(Date.now());
      fleet = await startFleet({
        instances: 2,
        clocks: [skewed(base, writer), skewed(base, reader)],
        simulatorNow: base.now,
        random: () => 0.5,
      });
      const f = fleet;
      expect(
        (await f.control('/__sim/faults', { endpoint: 'ids-login', kind: 'status', status: 503, times: 1 }))
          .status,
      ).toBe(204);
      const error = await f.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
      const retryAfter = (error as { retryAfterSeconds: number }).retryAfterSeconds;
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      base.advance(retryAfter * 1000);
      await expect(f.brokers[1]!.getToken(SERVICE, { credentialId: 'dap' })).resolves.toMatchObject({
        tier: 'upstream',
      });
      expect((await calls(f))['ids-login']).toBe(2);
    },
  );
});

const FAULTS = [
  { name: '5xx', fault: { kind: 'status', status: 503 }, retryAfter: undefined },
  { name: '429 with Retry-After', fault: { kind: 'status', status: 429, retryAfter: 30 }, retryAfter: 30 },
  { name: '403 rate-limit text', fault: { kind: 'rate-limit' }, retryAfter: 5 },
  { name: 'a hanging upstream', fault: { kind: 'hang' }, retryAfter: undefined },
] as const;

describe.each(FAULTS)('upstream down ($name)', ({ fault, retryAfter }) => {
  it('serves every request while a token is valid, then answers 503 with Retry-After within the backoff budget', async () => {
    const base = makeFakeClock(Date.now());
    fleet = await startFleet({
      instances: 2,
      clocks: [base, base],
      simulatorNow: base.now,
      upstreamTimeoutMs: 300,
      random: () => 0.5,
    });
    const f = fleet;
    await f.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' });
    expect((await f.control('/__sim/faults', { endpoint: '*', ...fault })).status).toBe(204);

    base.advance(56 * MIN); // stale: the pre-warm's renewal attempts fail, the valid token keeps being served
    for (let i = 0; i < 40; i++) {
      await expect(f.brokers[i % 2]!.getToken(SERVICE, { credentialId: 'dap' })).resolves.toMatchObject({
        credentialId: 'dap',
      });
      // The pre-warm (every minute on AWS) is what renews a stale token; callers never leave work behind.
      if (i % 20 === 0) await f.brokers[(i + 1) % 2]!.prewarm();
      await f.idle(); // the background renewal a stale serve starts takes ms, not a second
      base.advance(1_000);
    }

    base.advance(5 * MIN); // past the guaranteed life: nothing valid left
    const before = (await calls(f))['ids-login']!;
    const windowMs = 10 * MIN;
    for (let t = 0; t < windowMs; t += 5_000) {
      const before = base.now();
      const error = await f.brokers[(t / 5_000) % 2]!.getToken(SERVICE, { credentialId: 'dap' }).catch(
        (e: unknown) => e,
      );
      // Fast: nobody waited (polling sleeps would move the broker clock); the answer came at once.
      expect(base.now() - before).toBeLessThan(1_000);
      expect(isBrokerError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
      expect((error as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
      base.advance(5_000);
    }
    const attempts = (await calls(f))['ids-login']! - before;
    // The budget: the capped exponential schedule (random fixed at 0.5) over the window, one attempt
    // per hold, plus one per instance for the first sighting of each hold.
    let budget = 0;
    for (let elapsed = 0, n = 1; elapsed < windowMs; n++) {
      elapsed += backoffHoldMs(n, retryAfter, DEFAULT_SETTINGS, () => 0.5) + 5_000;
      budget++;
    }
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(budget + 2);
  });

  it('answers a caller with no valid token at once while another instance retries the failing upstream', async () => {
    const base = makeFakeClock(Date.now());
    fleet = await startFleet({
      instances: 2,
      clocks: [base, base],
      simulatorNow: base.now,
      upstreamTimeoutMs: 300,
      random: () => 0.5,
    });
    const f = fleet;
    await f.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' });
    expect((await f.control('/__sim/faults', { endpoint: '*', ...fault })).status).toBe(204);
    base.advance(61 * MIN); // expired
    await expect(f.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' })).rejects.toMatchObject({
      code: 'TOKEN_UNAVAILABLE',
    });
    base.advance(DEFAULT_SETTINGS.backoffCapMs + MIN); // the failure hold has passed
    // Another instance (or a slow, earlier renewal) now holds the lease for its retry.
    const key = { credentialId: 'dap', variantId: variantId({}) };
    const [item] = await f.store.list('dap');
    const lease = { id: 'retrying', owner: 'other', at: base.now(), ms: DEFAULT_SETTINGS.leaseMs };
    expect(
      await f.store.acquireLease(key, { kind: 'identity-service', params: {} }, lease, {
        version: item!.version,
        failureId: item!.failure!.id,
      }),
    ).toBe(true);
    const before = (await calls(f))['ids-login']!;
    const start = base.now();
    const error = await f.brokers[1]!.getToken(SERVICE, { credentialId: 'dap' }).catch((e: unknown) => e);
    // No polling behind the retry (polls move the broker clock) and no upstream call of its own.
    expect(base.now() - start).toBeLessThan(1_000);
    expect(error).toMatchObject({ code: 'TOKEN_UNAVAILABLE' });
    expect((error as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((await calls(f))['ids-login']).toBe(before);
  });
});

describe('secret rotated mid-flight', () => {
  it('re-reads the secret once and succeeds, without looping', async () => {
    const base = makeFakeClock(Date.now());
    fleet = await startFleet({
      instances: 1,
      clocks: [base],
      simulatorNow: base.now,
      secretMaxAgeMs: 2 * 3_600_000,
    });
    const f = fleet;
    await f.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' });
    await f.control('/__sim/rotate');
    await f.syncSecrets(); // Secrets Manager now holds the new value; the instance cache still has the old
    base.advance(60 * MIN);
    await expect(f.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' })).resolves.toMatchObject({
      tier: 'upstream',
    });
    expect((await calls(f))['ids-login']).toBe(3); // first mint, rejected old secret, success
  });

  it('fails clearly after one retry when the re-read secret is rejected too', async () => {
    const base = makeFakeClock(Date.now());
    fleet = await startFleet({
      instances: 1,
      clocks: [base],
      simulatorNow: base.now,
      secretMaxAgeMs: 2 * 3_600_000,
    });
    const f = fleet;
    await f.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' });
    await f.control('/__sim/rotate');
    await f.control('/__sim/rotate'); // the value synced below is already superseded: rejected too
    await f.syncSecrets();
    await f.control('/__sim/rotate');
    base.advance(60 * MIN);
    const error = await f.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UPSTREAM_CREDENTIALS_REJECTED' });
    expect((await calls(f))['ids-login']).toBe(3); // first mint, rejected, one retry rejected
    await expect(f.brokers[0]!.getToken(SERVICE, { credentialId: 'dap' })).rejects.toMatchObject({
      code: 'TOKEN_UNAVAILABLE',
    });
    expect((await calls(f))['ids-login']).toBe(3);
  });
});
