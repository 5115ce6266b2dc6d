import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/core/broker-settings.ts';
import { NOMINAL_LIFETIME_SECONDS } from '../../shared/core/credential.ts';
import { isBrokerError } from '../../shared/core/errors.ts';
import { type Fleet, SERVICE, startFleet } from '../support/broker-fleet.ts';
import { makeFakeClock, skewed } from '../support/fake-clock.ts';

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
});

const mints = async (f: Fleet): Promise<number> =>
  ((await (await f.control('/__sim/stats', undefined, 'GET')).json()) as { calls: Record<string, number> })
    .calls['ids-login'] ?? 0;

/** The highest need the parse-time check lets through for a 1-hour identity-service token (default settings). */
const NEAR_MAX = Math.floor(
  NOMINAL_LIFETIME_SECONDS['identity-service'] - DEFAULT_SETTINGS.clockSkewToleranceMs / 1000 - 10,
);

describe.each([
  { name: 'a clock in step with upstream', offsetMs: 0 },
  { name: 'a clock 20 s ahead of upstream', offsetMs: 20_000 },
])('a minTtlSeconds near the maximum, with $name', ({ offsetMs }) => {
  it('costs at most one mint per variant per token lifetime, then is refused in advance', async () => {
    const base = makeFakeClock(Date.now());
    fleet = await startFleet({
      instances: 2,
      clocks: [skewed(base, offsetMs), skewed(base, offsetMs)],
      simulatorNow: base.now,
    });
    const outcomes: string[] = [];
    // 30 requests over 5.5 minutes, alternating instances: the second learns from the table.
    for (let i = 0; i < 30; i++) {
      const answer = await fleet.brokers[i % 2]!.getToken(SERVICE, {
        credentialId: 'dap',
        minTtlSeconds: NEAR_MAX,
      }).then(
        (served) => `served:${served.tier}`,
        (error: unknown) => (isBrokerError(error) ? error.code : 'other'),
      );
      outcomes.push(answer);
      base.advance(11_000);
    }
    expect(await mints(fleet)).toBe(1);
    // The first request (cold: the mint everyone needs anyway) is served, and so is every later
    // one while that token still covers the need; from the first refusal on, every request is
    // refused in advance with 422, never a 5xx and never another mint.
    const firstRefusal = outcomes.indexOf('MIN_TTL_UNSATISFIABLE');
    expect(firstRefusal).toBeGreaterThan(0);
    expect(outcomes.slice(0, firstRefusal).every((o) => o.startsWith('served:'))).toBe(true);
    expect(new Set(outcomes.slice(firstRefusal))).toEqual(new Set(['MIN_TTL_UNSATISFIABLE']));
    // Ordinary needs are still served by the token that mint made.
    const modest = await fleet.brokers[1]!.getToken(SERVICE, { credentialId: 'dap', minTtlSeconds: 600 });
    expect(modest.tier).not.toBe('upstream');
    expect(await mints(fleet)).toBe(1);
  });
});
