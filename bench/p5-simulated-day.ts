import { isBrokerError } from '../shared/core/errors.ts';
import type { TokenStore } from '../shared/core/token-store.ts';
import { makeActivityTracker } from './support/activity-tracker.ts';
import { BENCH_CALLER, startTestbed } from './support/broker-testbed.ts';
import { dayTraffic, type TrafficRequest, type TrafficVariant } from './support/day-traffic.ts';
import { makeManualClock } from './support/manual-clock.ts';
import { percentile, round } from './support/percentiles.ts';
import { seededRandom } from './support/seeded-random.ts';

const INSTANCES = 4;
const HOURS = 24;
const MINUTE = 60_000;
const TARGET_RATIO = 1.1;
const PREWARM_INSTANCE = 'p5-prewarm';
/** A Monday, 00:00 UTC: the day starts quiet and cold. */
const DAY_START = Date.UTC(2026, 0, 5);

const VARIANTS: readonly TrafficVariant[] = [
  { name: 'dap', credentialId: 'dap', weight: 0.4 },
  { name: 'canvas-jwt (ui)', credentialId: 'canvas-jwt', weight: 0.25 },
  {
    name: 'canvas-jwt (ui, signed-only)',
    credentialId: 'canvas-jwt',
    params: { canvasAudience: false },
    weight: 0.15,
  },
  { name: 'inst-access', credentialId: 'inst-access', weight: 0.2 },
];

const AGS = 'https://purl.imsglobal.org/spec/lti-ags/scope';
const NRPS = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';
/** Issue 11: the same day for an lti-advantage credential, three scope sets a grading tool uses. */
const LTI_VARIANTS: readonly TrafficVariant[] = [
  { name: 'lti (NRPS)', credentialId: 'lti', params: { scopes: [NRPS] }, weight: 0.4 },
  {
    name: 'lti (score, NRPS)',
    credentialId: 'lti',
    params: { scopes: [`${AGS}/score`, NRPS] },
    weight: 0.35,
  },
  {
    name: 'lti (lineitem, result)',
    credentialId: 'lti',
    params: { scopes: [`${AGS}/lineitem`, `${AGS}/result.readonly`] },
    weight: 0.25,
  },
];

export interface P5Result {
  readonly simulatedHours: number;
  readonly mints: number;
  readonly floor: number;
  readonly ratio: number;
  readonly variantsInUse: number;
  readonly instances: number;
  readonly requests: number;
  readonly failedRequests: number;
  readonly failures: Readonly<Record<string, number>>;
  /** Every served token was introspected by the simulator at the moment it was served. */
  readonly introspected: number;
  readonly expiredServed: number;
  readonly underMinTtlServed: number;
  /** `tier` of each served token as the broker reports it (see the note in the report on 'upstream'). */
  readonly tiersAsReported: Readonly<Record<string, number>>;
  readonly upstreamCalls: Readonly<Record<string, number>>;
  readonly prewarm: { readonly runs: number; readonly refreshed: number; readonly failed: number };
  /** Tokens written to the table (mint records); fewer than `mints` means upstream calls whose token was discarded. */
  readonly recordedMints: number;
  readonly mintHistory: Readonly<Record<string, VariantMints>>;
  /**
   * Tokens per variant-hour once the day is under way (60 / median minutes between tokens): the
   * default lifecycle renews `refreshLeadMs` (4 ± 1 min) before a token stops being servable, which is
   * `clockSkewToleranceMs` (1 min) before it expires, so about every 55 minutes.
   */
  readonly steadyStateRatio: number;
  readonly realSeconds: number;
  readonly target: { readonly maxRatio: number };
  readonly met: boolean;
  readonly missRatio?: number;
  readonly missReason?: string;
  /** The same day, lti-advantage variants only. */
  readonly lti?: Omit<P5Result, 'lti' | 'mintHistory'>;
}

export interface VariantMints {
  readonly mints: number;
  readonly firstAtMinute: number;
  /** Minutes between consecutive tokens of the variant. */
  readonly intervalMinutes: { readonly min: number; readonly median: number; readonly max: number };
  /** How many of them the pre-warm schedule issued (the rest: a caller's background or blocking renewal). */
  readonly byPrewarm: number;
  readonly viaRefresh: number;
}

/** Per variant, from the table's mint records: when tokens were issued, by whom, how far apart. */
const mintHistory = async (
  store: TokenStore,
  variants: readonly TrafficVariant[],
): Promise<Record<string, VariantMints>> => {
  const out: Record<string, VariantMints> = {};
  for (const credentialId of new Set(variants.map((v) => v.credentialId))) {
    const items = await store.list(credentialId);
    const records = await store.listMints(credentialId, 1_000);
    for (const item of items) {
      const mints = records
        .filter((r) => r.key.variantId === item.key.variantId)
        .sort((a, b) => a.issuedAt - b.issuedAt);
      if (mints.length === 0) continue;
      const gaps = mints.slice(1).map((m, i) => (m.issuedAt - mints[i]!.issuedAt) / MINUTE);
      const sorted = [...gaps].sort((a, b) => a - b);
      out[`${credentialId} ${JSON.stringify(item.params)}`] = {
        mints: mints.length,
        firstAtMinute: Math.round((mints[0]!.issuedAt - DAY_START) / MINUTE),
        intervalMinutes: {
          min: round(sorted[0] ?? Number.NaN, 1),
          median: round(percentile(sorted, 50), 1),
          max: round(sorted[sorted.length - 1] ?? Number.NaN, 1),
        },
        byPrewarm: mints.filter((m) => m.instanceId === PREWARM_INSTANCE).length,
        viaRefresh: mints.filter((m) => m.via === 'refresh').length,
      };
    }
  }
  return out;
};

/**
 * P5: one simulated day on a clock shared by the broker instances and the simulator, with the
 * pre-warm schedule (every simulated minute, like the EventBridge rule, on an instance of its own as
 * the prewarm function) and a working day of traffic over four variants, default BrokerSettings.
 * Upstream mints are counted by the simulator and compared with the floor of 24 per variant in use.
 */
export const runP5 = async (): Promise<P5Result> => {
  const day = await simulateDay(VARIANTS);
  const { mintHistory: _history, ...lti } = await simulateDay(LTI_VARIANTS);
  return { ...day, lti, met: day.met && lti.met };
};

const simulateDay = async (variants: readonly TrafficVariant[]): Promise<P5Result> => {
  const began = performance.now();
  const clock = makeManualClock(DAY_START);
  const bed = await startTestbed({ simulatorNow: clock.now });
  try {
    const activity = makeActivityTracker();
    const brokers = Array.from({ length: INSTANCES }, (_, i) =>
      bed.makeInstance(`p5-${i}`, { clock, activity, random: seededRandom(1_000 + i) }),
    );
    const prewarmer = bed.makeInstance(PREWARM_INSTANCE, { clock, activity, random: seededRandom(999) });
    const traffic = dayTraffic({
      variants,
      instances: INSTANCES,
      random: seededRandom(20_260_105),
    });

    const tiers: Record<string, number> = {};
    const failures: Record<string, number> = {};
    const used = new Set<string>();
    let requests = 0;
    let failed = 0;
    let introspected = 0;
    let expiredServed = 0;
    let underMinTtlServed = 0;
    const prewarm = { runs: 0, refreshed: 0, failed: 0 };

    const serve = async (request: TrafficRequest): Promise<void> => {
      requests++;
      used.add(request.variant.name);
      try {
        const served = await brokers[request.instance]!.getToken(BENCH_CALLER, {
          credentialId: request.variant.credentialId,
          minTtlSeconds: request.minTtlSeconds,
          ...(request.variant.params ? { params: request.variant.params } : {}),
        });
        tiers[served.tier] = (tiers[served.tier] ?? 0) + 1;
        // What the upstream itself thinks of the token right now (its clock is the shared one).
        const seen = await bed.sim.introspect(served.token);
        introspected++;
        if (!seen.active || seen.exp === undefined) expiredServed++;
        else if (seen.exp * 1000 - clock.now() < request.minTtlSeconds * 1000) underMinTtlServed++;
        if (served.expiresIn < request.minTtlSeconds) underMinTtlServed++;
      } catch (error) {
        failed++;
        const code = isBrokerError(error) ? error.code : error instanceof Error ? error.name : 'unknown';
        failures[code] = (failures[code] ?? 0) + 1;
      }
    };

    let next = 0;
    // Simulated time moves on only once the instances are idle: a refresh takes milliseconds of real
    // time, and must not see minutes pass in the middle of it.
    const advanceTo = async (at: number) => {
      await activity.quiesce();
      clock.advanceTo(at);
    };
    for (let minute = 0; minute < HOURS * 60; minute++) {
      await advanceTo(DAY_START + minute * MINUTE);
      const report = await prewarmer.prewarm();
      prewarm.runs++;
      prewarm.refreshed += report.refreshed;
      prewarm.failed += report.failed;
      for (; next < traffic.length && traffic[next]!.atMs < (minute + 1) * MINUTE; next++) {
        const event = traffic[next]!;
        await advanceTo(DAY_START + event.atMs);
        await Promise.all(event.requests.map(serve));
      }
    }
    // A background renewal started by the last requests may still be talking to the simulator.
    await activity.quiesce();

    const calls = await bed.stats();
    const history = await mintHistory(bed.makeStore(), variants);
    const mints =
      calls['ids-login'] + calls.jwts + calls['jwts-refresh'] + calls['inst-access'] + calls['lti-token'];
    const floor = 24 * used.size;
    const ratio = mints / floor;
    const clean = failed === 0 && expiredServed === 0 && underMinTtlServed === 0;
    const met = ratio <= TARGET_RATIO && clean;
    return {
      simulatedHours: HOURS,
      mints,
      floor,
      ratio: round(ratio),
      variantsInUse: used.size,
      instances: INSTANCES,
      requests,
      failedRequests: failed,
      failures,
      introspected,
      expiredServed,
      underMinTtlServed,
      tiersAsReported: tiers,
      upstreamCalls: {
        'ids-login': calls['ids-login'],
        jwts: calls.jwts,
        'jwts-refresh': calls['jwts-refresh'],
        'inst-access': calls['inst-access'],
        'lti-token': calls['lti-token'],
      },
      prewarm,
      recordedMints: Object.values(history).reduce((n, v) => n + v.mints, 0),
      mintHistory: history,
      steadyStateRatio: round(
        Object.values(history).reduce((n, v) => n + 60 / v.intervalMinutes.median, 0) /
          Math.max(1, Object.keys(history).length),
      ),
      realSeconds: round((performance.now() - began) / 1000, 1),
      target: { maxRatio: TARGET_RATIO },
      met,
      ...(met
        ? {}
        : {
            missRatio: round(ratio / TARGET_RATIO, 3),
            ...(clean ? {} : { missReason: 'failed requests or a token served expired or under minTtl' }),
          }),
    };
  } finally {
    await bed.stop();
  }
};
