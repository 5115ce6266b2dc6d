import { systemClock } from '../shared/adapters/system-clock.ts';
import type { Broker } from '../shared/core/broker.ts';
import { BENCH_USER_AGENT } from './support/bench-user-agent.ts';
import { BENCH_CALLER, BENCH_LTI_CLIENT_ID, startTestbed } from './support/broker-testbed.ts';
import { makeCountingStore } from './support/counting-store.ts';
import { fireConcurrently } from './support/fire-concurrently.ts';
import { makePeerDapClient } from './support/peer-dap-client.ts';
import { makePeerLtiClient } from './support/peer-lti-client.ts';
import { distribution, round } from './support/percentiles.ts';

export const P1_INSTANCES = 8;
export const P1_REQUESTS = 1_000;

export interface P1Result {
  readonly instances: number;
  readonly requests: number;
  readonly upstreamMints: number;
  readonly failedRequests: number;
  readonly distinctTokens: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly wallMs: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly peerMints: number;
  readonly peerFailedRequests: number;
  readonly peerDistinctTokens: number;
  readonly peerP50Ms: number;
  readonly peerP99Ms: number;
  readonly peerMaxMs: number;
  /** Issue 10: the broker's p99 over the peer's, measured in the same run (target ≤ 2). */
  readonly p99Ratio: number;
  /** Table reads of each instance that did not mint, during the burst (target ≤ 3 on average). */
  readonly readsPerWaitingInstance: number;
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
  bed: Awaited<ReturnType<typeof startTestbed>>,
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

/**
 * P1: 1,000 concurrent requests for a cold credential spread over 8 broker instances (separate
 * memory, one table, one upstream), next to the peer: 8 processes each caching their own DAP token.
 */
export const runP1 = async (): Promise<P1Result> => {
  const bed = await startTestbed();
  try {
    const stores = Array.from({ length: P1_INSTANCES }, () => makeCountingStore(bed.makeStore()));
    const brokers = stores.map((store, i) => bed.makeInstance(`p1-${i}`, { store }));
    // Warm-up on other credentials and variants, each asked by every instance at once: JIT,
    // sockets, secret caches and each instance's renewal pace are warm, `dap` stays cold in both
    // tiers, like a running fleet meeting a credential nobody has asked for yet.
    const warmUps = [
      { credentialId: 'inst-access' },
      { credentialId: 'canvas-jwt', params: { canvasAudience: false } },
      { credentialId: 'canvas-jwt', params: { canvasAudience: true } },
    ];
    for (const request of warmUps) {
      await Promise.all(brokers.map((b) => b.getToken(BENCH_CALLER, request)));
    }
    for (const store of stores) store.take();
    const seeds = bed.sim.seeds();
    const peerDeps = {
      baseUrl: bed.sim.url,
      credentials: seeds.identity,
      clock: systemClock,
      userAgent: BENCH_USER_AGENT,
    };
    await makePeerDapClient(peerDeps).getAccessToken();

    await bed.reset();
    const broker = await fireConcurrently(P1_REQUESTS, (i) =>
      brokers[i % P1_INSTANCES]!.getToken(BENCH_CALLER, { credentialId: 'dap' }).then(
        (served) => served.token,
      ),
    );
    const upstreamMints = mintsOf(await bed.stats());
    // The instance that minted read once (and took the lease); the others waited on it.
    const reads = stores.map((store) => store.take().reads).sort((a, b) => a - b);
    const waitingReads = reads.slice(0, P1_INSTANCES - 1);
    const readsPerWaitingInstance = round(waitingReads.reduce((a, b) => a + b, 0) / waitingReads.length, 2);

    await bed.reset();
    const peers = Array.from({ length: P1_INSTANCES }, () => makePeerDapClient(peerDeps));
    const peer = await fireConcurrently(P1_REQUESTS, (i) => peers[i % P1_INSTANCES]!.getAccessToken());
    const peerMints = mintsOf(await bed.stats());

    const lti = await ltiBurst(bed, brokers);

    const b = distribution(broker.latenciesMs);
    const p = distribution(peer.latenciesMs);
    const p99Ratio = round(b.p99 / p.p99, 2);
    const met = upstreamMints === 1 && broker.failed === 0 && p99Ratio <= 2 && readsPerWaitingInstance <= 3;
    return {
      instances: P1_INSTANCES,
      requests: P1_REQUESTS,
      upstreamMints,
      failedRequests: broker.failed,
      distinctTokens: broker.distinctTokens,
      p50Ms: round(b.p50),
      p99Ms: round(b.p99),
      maxMs: round(b.max),
      wallMs: round(broker.wallMs),
      failures: broker.failures,
      peerMints,
      peerFailedRequests: peer.failed,
      peerDistinctTokens: peer.distinctTokens,
      peerP50Ms: round(p.p50),
      peerP99Ms: round(p.p99),
      peerMaxMs: round(p.max),
      p99Ratio,
      readsPerWaitingInstance,
      lti,
      target: { upstreamMints: 1, failedRequests: 0, p99Ratio: 2, readsPerWaitingInstance: 3 },
      met,
      // Against the target of one mint; failures are their own miss, told apart by missReason.
      ...(met
        ? {}
        : {
            missRatio:
              upstreamMints !== 1
                ? upstreamMints
                : round(Math.max(p99Ratio / 2, readsPerWaitingInstance / 3), 2),
            ...(broker.failed > 0
              ? { missReason: `${broker.failed} failed requests` }
              : p99Ratio > 2
                ? { missReason: `p99 ${p99Ratio}x the peer's` }
                : readsPerWaitingInstance > 3
                  ? { missReason: `${readsPerWaitingInstance} table reads per waiting instance` }
                  : {}),
          }),
    };
  } finally {
    await bed.stop();
  }
};
