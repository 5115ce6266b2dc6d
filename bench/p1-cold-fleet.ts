import { systemClock } from '../shared/adapters/system-clock.ts';
import type { Broker } from '../shared/core/broker.ts';
import { BENCH_USER_AGENT } from './support/bench-user-agent.ts';
import { BENCH_CALLER, BENCH_LTI_CLIENT_ID, startTestbed, type Testbed } from './support/broker-testbed.ts';
import { type CountingStore, makeCountingStore } from './support/counting-store.ts';
import { fireConcurrently, type Volley } from './support/fire-concurrently.ts';
import { makeModeledTable, type TableLatency } from './support/modeled-table.ts';
import { makePeerDapClient } from './support/peer-dap-client.ts';
import { makePeerLtiClient } from './support/peer-lti-client.ts';
import { distribution, median, round } from './support/percentiles.ts';

export const P1_INSTANCES = 8;
export const P1_REQUESTS = 1_000;
/** Cold bursts per line, interleaved (dynalite, modeled table, peer); percentiles are their medians. */
export const P1_ROUNDS = 5;

/** One line of P1: the broker's cold bursts and the peer's beside them, over the same rounds. */
export interface P1Line {
  /** The most any round made (target: every round exactly 1). */
  readonly upstreamMints: number;
  readonly failedRequests: number;
  readonly distinctTokens: number;
  /** Medians of the rounds' own percentiles. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Each round's p99, in order. */
  readonly roundP99Ms: readonly number[];
  readonly peerMints: number;
  readonly peerFailedRequests: number;
  readonly peerP50Ms: number;
  readonly peerP99Ms: number;
  readonly peerRoundP99Ms: readonly number[];
  /** Table reads of each instance that did not mint, per burst (target ≤ 3 on average). */
  readonly readsPerWaitingInstance: number;
}

/** The over-sockets line at the top level (its fields as in earlier results), the fleet-like one beside it. */
export interface P1Result extends P1Line {
  readonly instances: number;
  readonly requests: number;
  /** Cold bursts per line; every percentile is the median of the rounds' own. */
  readonly rounds: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly peerDistinctTokens: number;
  readonly peerMaxMs: number;
  /**
   * The broker's p99 over the peer's, measured in the same run, on dynalite over sockets: reported,
   * not the target (dynalite's one-at-a-time queue and 8 instances' SDK work on one event loop set
   * it; see FleetLikeBurst).
   */
  readonly p99Ratio: number;
  /** The fleet-like line (issue 10's p99 target applies here). */
  readonly fleetLike: FleetLikeBurst;
  /** The same burst for a cold lti-advantage variant (issue 11), next to 8 tool processes minting their own. */
  readonly lti: LtiBurst;
  readonly target: {
    readonly upstreamMints: 1;
    readonly failedRequests: 0;
    readonly p99Ratio: 2;
    readonly readsPerWaitingInstance: 3;
  };
  readonly met: boolean;
  readonly missRatio?: number;
  readonly missReason?: string;
}

/**
 * The fleet-like line: the same cold burst on a table modeled on DynamoDB (modeled-table.ts) with
 * the Identity Service answering logins FLEET_LIKE_LOGIN_MS late, next to the peer against that
 * same upstream. Issue 10's p99 target applies here.
 */
export interface FleetLikeBurst extends P1Line {
  /** Each table call's round trip, drawn uniformly from this range. */
  readonly latencyMs: TableLatency;
  /** How late the simulator answers each login, for broker and peer alike. */
  readonly loginMs: number;
  /** Issue 10: the broker's p99 over the peer's, in the same run (target ≤ 2). */
  readonly p99Ratio: number;
}

export interface LtiBurst {
  readonly scopes: readonly string[];
  readonly upstreamMints: number;
  readonly failedRequests: number;
  readonly distinctTokens: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly peerMints: number;
  /** Canvas charges 200 throttle units per token request (bucket 600): back-to-back requests from one address past the third are throttled; a concurrent burst reserves before it is charged. */
  readonly peerFailedRequests: number;
  readonly peerFailures: Readonly<Record<string, number>>;
  readonly peerP50Ms: number;
  readonly peerP99Ms: number;
  readonly met: boolean;
}

const mintsOf = (calls: Record<string, number>): number =>
  (calls['ids-login'] ?? 0) +
  (calls.jwts ?? 0) +
  (calls['jwts-refresh'] ?? 0) +
  (calls['inst-access'] ?? 0) +
  (calls['lti-token'] ?? 0);

const NRPS = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';
const SCORE = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';

/**
 * The cold burst again for an lti-advantage variant (NRPS), on the same warm instances (warmed on
 * another scope set, so the signing key and sockets are warm), then the peer: 8 tool processes,
 * each signing and minting its own token with the same key.
 */
const ltiBurst = async (
  bed: Testbed,
  brokers: readonly { getToken: Broker['getToken'] }[],
): Promise<LtiBurst> => {
  const scopes = [NRPS];
  await Promise.all(
    brokers.map((b) => b.getToken(BENCH_CALLER, { credentialId: 'lti', params: { scopes: [SCORE] } })),
  );
  await bed.reset();
  const broker = await fireConcurrently(P1_REQUESTS, (i) =>
    brokers[i % P1_INSTANCES]!.getToken(BENCH_CALLER, { credentialId: 'lti', params: { scopes } }).then(
      (served) => served.token,
    ),
  );
  const upstreamMints = mintsOf(await bed.stats());
  await bed.reset();
  const peers = Array.from({ length: P1_INSTANCES }, () =>
    makePeerLtiClient({
      baseUrl: bed.sim.url,
      clientId: BENCH_LTI_CLIENT_ID,
      scopes,
      signer: bed.signer,
      clock: systemClock,
      userAgent: BENCH_USER_AGENT,
    }),
  );
  const peer = await fireConcurrently(P1_REQUESTS, (i) => peers[i % P1_INSTANCES]!.getAccessToken());
  const peerMints = mintsOf(await bed.stats());
  await bed.reset();
  const b = distribution(broker.latenciesMs);
  const p = distribution(peer.latenciesMs);
  return {
    scopes,
    upstreamMints,
    failedRequests: broker.failed,
    distinctTokens: broker.distinctTokens,
    p50Ms: round(b.p50),
    p99Ms: round(b.p99),
    peerMints,
    peerFailedRequests: peer.failed,
    peerFailures: peer.failures,
    peerP50Ms: round(p.p50),
    peerP99Ms: round(p.p99),
    met: upstreamMints === 1 && broker.failed === 0,
  };
};

const WARM_UPS = [
  { credentialId: 'inst-access' },
  { credentialId: 'canvas-jwt', params: { canvasAudience: false } },
  { credentialId: 'canvas-jwt', params: { canvasAudience: true } },
];

/** One fleet of broker instances on one table, warmed up, ready for cold bursts of `dap`. */
interface Fleet {
  readonly brokers: readonly Broker[];
  readonly stores: readonly CountingStore[];
}

interface Round {
  readonly volley: Volley;
  readonly upstreamMints: number;
  readonly readsPerWaitingInstance: number;
}

/**
 * Warm-ups on other credentials and variants, each a whole burst over every instance: JIT, sockets,
 * secret caches and each instance's renewal pace are warm, as in a fleet that has served for a
 * while (a handful of calls leaves V8 interpreting the code a burst runs), and `dap` stays cold in
 * both tiers.
 */
const warmFleet = async (bed: Testbed, stores: readonly CountingStore[], fleet: string): Promise<Fleet> => {
  const brokers = stores.map((store, i) => bed.makeInstance(`${fleet}-${i}`, { store }));
  for (const request of WARM_UPS) {
    await fireConcurrently(P1_REQUESTS, (i) =>
      brokers[i % P1_INSTANCES]!.getToken(BENCH_CALLER, request).then((served) => served.token),
    );
  }
  return { brokers, stores };
};

/**
 * How long the fleet-like line's Identity Service takes to answer a login: an assumption, not a
 * measurement (no real Instructure here). An internet round trip on a reused TLS connection plus
 * the token endpoint's own work is rarely less; a slower one only brings the ratio closer to 1.
 * `P1_LOGIN_MS=0 npm run bench -- P1` measures the same line with the simulator at its own speed
 * (a login of a few ms), which leaves the broker's own table round trips as the whole difference.
 */
export const FLEET_LIKE_LOGIN_MS = ((): number => {
  const value = process.env.P1_LOGIN_MS;
  if (value === undefined || value === '') return 100;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0 || ms > 5_000) {
    throw new Error('P1_LOGIN_MS: must be an integer from 0 to 5000 (ms)');
  }
  return ms;
})();

/** The simulator as fast as it answers, or answering every login `FLEET_LIKE_LOGIN_MS` late. */
const upstreamFor = async (bed: Testbed, fleetLike: boolean): Promise<void> => {
  await bed.reset();
  if (fleetLike && FLEET_LIKE_LOGIN_MS > 0) {
    await bed.fault({ endpoint: 'ids-login', kind: 'delay', delayMs: FLEET_LIKE_LOGIN_MS });
  }
};

/** 1,000 requests for `dap`, cold in both tiers (purged from the table and from every instance). */
const coldRound = async (bed: Testbed, { brokers, stores }: Fleet, fleetLike: boolean): Promise<Round> => {
  for (const broker of brokers) await broker.purge(BENCH_CALLER, 'dap');
  for (const store of stores) store.take();
  await upstreamFor(bed, fleetLike);
  const volley = await fireConcurrently(P1_REQUESTS, (i) =>
    brokers[i % P1_INSTANCES]!.getToken(BENCH_CALLER, { credentialId: 'dap' }).then((served) => served.token),
  );
  const upstreamMints = mintsOf(await bed.stats());
  // The instance that minted read once (and took the lease); the others waited on it.
  const reads = stores.map((store) => store.take().reads).sort((a, b) => a - b);
  const waitingReads = reads.slice(0, P1_INSTANCES - 1);
  const readsPerWaitingInstance = waitingReads.reduce((a, b) => a + b, 0) / waitingReads.length;
  return { volley, upstreamMints, readsPerWaitingInstance };
};

const failuresOf = (rounds: readonly Round[]): Record<string, number> => {
  const all: Record<string, number> = {};
  for (const r of rounds) {
    for (const [code, count] of Object.entries(r.volley.failures)) all[code] = (all[code] ?? 0) + count;
  }
  return all;
};

/** A line's figures over its rounds: each percentile is the median of the rounds' own. */
const summarize = (rounds: readonly Round[]) => {
  const bursts = rounds.map((r) => distribution(r.volley.latenciesMs));
  return {
    upstreamMints: Math.max(...rounds.map((r) => r.upstreamMints)),
    everyRoundOneMint: rounds.every((r) => r.upstreamMints === 1),
    failedRequests: rounds.reduce((sum, r) => sum + r.volley.failed, 0),
    distinctTokens: Math.max(...rounds.map((r) => r.volley.distinctTokens)),
    p50Ms: round(median(bursts.map((d) => d.p50))),
    p99Ms: round(median(bursts.map((d) => d.p99))),
    maxMs: round(Math.max(...bursts.map((d) => d.max))),
    roundP99Ms: bursts.map((d) => round(d.p99, 1)),
    readsPerWaitingInstance: round(
      rounds.reduce((sum, r) => sum + r.readsPerWaitingInstance, 0) / rounds.length,
      2,
    ),
  };
};

type Summary = ReturnType<typeof summarize>;

const lineOf = (broker: Summary, peer: Summary): P1Line => ({
  upstreamMints: broker.upstreamMints,
  failedRequests: broker.failedRequests,
  distinctTokens: broker.distinctTokens,
  p50Ms: broker.p50Ms,
  p99Ms: broker.p99Ms,
  maxMs: broker.maxMs,
  roundP99Ms: broker.roundP99Ms,
  peerMints: peer.upstreamMints,
  peerFailedRequests: peer.failedRequests,
  peerP50Ms: peer.p50Ms,
  peerP99Ms: peer.p99Ms,
  peerRoundP99Ms: peer.roundP99Ms,
  readsPerWaitingInstance: broker.readsPerWaitingInstance,
});

/**
 * P1: 1,000 concurrent requests for a cold credential spread over 8 broker instances (separate
 * memory, one table, one upstream), next to the peer: 8 processes each caching their own DAP
 * token. Two lines, each against its own peer run:
 *
 * - over sockets: dynalite and the real DynamoDB adapter and SDK, the simulator at its own speed.
 *   dynalite answers one request at a time and the 8 instances' SDK work shares one event loop,
 *   so this line measures that queue as much as the broker (reported, no ratio target);
 * - fleet-like: a table modeled on DynamoDB's latency and parallelism (modeled-table.ts) and an
 *   Identity Service answering logins FLEET_LIKE_LOGIN_MS late, for broker and peer alike; issue
 *   10's p99 target applies here.
 *
 * A single burst's p99 moves by half from run to run (the peer's by more: 8-30 ms), so each line
 * runs P1_ROUNDS cold bursts, interleaved with the others, and reports the median of their
 * percentiles.
 */
export const runP1 = async (): Promise<P1Result> => {
  const bed = await startTestbed();
  try {
    const seeds = bed.sim.seeds();
    const peerDeps = {
      baseUrl: bed.sim.url,
      credentials: seeds.identity,
      clock: systemClock,
      userAgent: BENCH_USER_AGENT,
    };
    const peerBurst = () => {
      const peers = Array.from({ length: P1_INSTANCES }, () => makePeerDapClient(peerDeps));
      return fireConcurrently(P1_REQUESTS, (i) => peers[i % P1_INSTANCES]!.getAccessToken());
    };
    // The peer is warmed the same way: a whole burst of its own, on clients it then drops.
    await peerBurst();
    const onDynalite = await warmFleet(
      bed,
      Array.from({ length: P1_INSTANCES }, () => makeCountingStore(bed.makeStore())),
      'p1',
    );
    const table = makeModeledTable();
    const onModel = await warmFleet(
      bed,
      Array.from({ length: P1_INSTANCES }, () => makeCountingStore(table.storeFor())),
      'p1-modeled',
    );

    const peerRound = async (fleetLike: boolean): Promise<Round> => {
      await upstreamFor(bed, fleetLike);
      const volley = await peerBurst();
      return { volley, upstreamMints: mintsOf(await bed.stats()), readsPerWaitingInstance: 0 };
    };
    const dynaliteRounds: Round[] = [];
    const peerRounds: Round[] = [];
    const modeledRounds: Round[] = [];
    const fleetLikePeerRounds: Round[] = [];
    for (let i = 0; i < P1_ROUNDS; i++) {
      dynaliteRounds.push(await coldRound(bed, onDynalite, false));
      peerRounds.push(await peerRound(false));
      modeledRounds.push(await coldRound(bed, onModel, true));
      fleetLikePeerRounds.push(await peerRound(true));
    }
    await bed.reset();

    const lti = await ltiBurst(bed, onDynalite.brokers);

    const b = summarize(dynaliteRounds);
    const m = summarize(modeledRounds);
    const p = summarize(peerRounds);
    const q = summarize(fleetLikePeerRounds);
    const fleetLike: FleetLikeBurst = {
      latencyMs: table.latency,
      loginMs: FLEET_LIKE_LOGIN_MS,
      ...lineOf(m, q),
      p99Ratio: round(m.p99Ms / q.p99Ms, 2),
    };
    const failed = b.failedRequests + m.failedRequests + p.failedRequests + q.failedRequests;
    const met =
      b.everyRoundOneMint &&
      m.everyRoundOneMint &&
      failed === 0 &&
      fleetLike.p99Ratio <= 2 &&
      m.readsPerWaitingInstance <= 3 &&
      b.readsPerWaitingInstance <= 3;
    const readsMiss = Math.max(b.readsPerWaitingInstance, m.readsPerWaitingInstance) / 3;
    return {
      instances: P1_INSTANCES,
      requests: P1_REQUESTS,
      rounds: P1_ROUNDS,
      ...lineOf(b, p),
      // Both broker lines' failures, by code.
      failures: failuresOf([...dynaliteRounds, ...modeledRounds]),
      peerDistinctTokens: p.distinctTokens,
      peerMaxMs: p.maxMs,
      p99Ratio: round(b.p99Ms / p.p99Ms, 2),
      fleetLike,
      lti,
      target: { upstreamMints: 1, failedRequests: 0, p99Ratio: 2, readsPerWaitingInstance: 3 },
      met,
      // Against the target of one mint; failures are their own miss, told apart by missReason.
      ...(met
        ? {}
        : {
            missRatio:
              !b.everyRoundOneMint || !m.everyRoundOneMint
                ? Math.max(b.upstreamMints, m.upstreamMints)
                : round(Math.max(fleetLike.p99Ratio / 2, readsMiss), 2),
            ...(failed > 0
              ? { missReason: `${failed} failed requests` }
              : fleetLike.p99Ratio > 2
                ? { missReason: `p99 ${fleetLike.p99Ratio}x the peer's on the DynamoDB-like table` }
                : readsMiss > 1
                  ? { missReason: `${round(readsMiss * 3, 2)} table reads per waiting instance` }
                  : {}),
          }),
    };
  } finally {
    await bed.stop();
  }
};
