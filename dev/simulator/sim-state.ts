import { randomBytes, randomUUID } from 'node:crypto';
import { type AccessTokenStore, makeAccessTokenStore } from './access-token-store.ts';
import { ENDPOINT_NAMES, type EndpointName, ROUTE_NAMES, type RouteName } from './endpoint-name.ts';
import { type FaultRegistry, makeFaultRegistry } from './fault-registry.ts';
import { type IdentityTokens, makeIdentityTokens } from './identity-tokens.ts';
import { type InstAccessTokens, makeInstAccessTokens } from './inst-access-tokens.ts';
import { type LeakyBuckets, makeLeakyBuckets } from './leaky-bucket.ts';
import { type LtiTokenState, type LtiTokenStateOptions, makeLtiTokenState } from './lti-token-state.ts';
import { makeServicesJwts, type ServicesJwts } from './services-jwts.ts';
import { makeSimClock, type SimClock } from './sim-clock.ts';
import { DEFAULT_DEPLOYMENT, type SimDeployment } from './sim-deployment.ts';
import { makeSimDirectory, type SimDirectory } from './sim-directory.ts';
import { generateSimKeys, type SimKeys } from './sim-keys.ts';
import type { SimulatorSeeds } from './simulator-types.ts';
import { makeSlidingWindowLimit, type SlidingWindowLimit } from './sliding-window-limit.ts';

/** The seeded Canvas token belongs to this user (an admin of the simulated root account). */
export const SEED_USER_ID = 1;

/** Everything one simulator run knows; handlers read and change it, the control API resets it. */
export interface SimState {
  /** LTI Advantage developer keys, nonces and issued tokens (POST /login/oauth2/token). */
  readonly lti: LtiTokenState;
  readonly clock: SimClock;
  readonly keys: SimKeys;
  readonly directory: SimDirectory;
  readonly accessTokens: AccessTokenStore;
  readonly identityTokens: IdentityTokens;
  readonly servicesJwts: ServicesJwts;
  readonly instAccessTokens: InstAccessTokens;
  readonly faults: FaultRegistry;
  readonly buckets: LeakyBuckets;
  readonly dapLimit: SlidingWindowLimit;
  readonly stats: Record<EndpointName, number>;
  /** Calls per single route (a `reset` fault's request never reached Canvas: not counted). */
  readonly routeStats: Record<RouteName, number>;
  /** The deployment switches in force now. */
  deployment(): SimDeployment;
  setDeployment(changes: Partial<SimDeployment>): SimDeployment;
  readonly identityExpiresIn: number;
  readonly allowedAudiences: ReadonlySet<string>;
  readonly region: string;
  readonly clientId: string;
  readonly principalId: string;
  readonly partnerId: string;
  clientSecret(): string;
  seeds(url: string): SimulatorSeeds;
  /** New client secret and Canvas token; the old ones are refused from now on. */
  rotate(): void;
  /** Back to the start: seeds, tokens, stats, faults, clock offset, rate limits, deployment. */
  reset(): void;
}

const newClientSecret = (): string => randomBytes(32).toString('base64url');

export const makeSimState = async (options: {
  readonly now: () => number;
  readonly identityExpiresIn: number;
  readonly allowedAudiences: readonly string[];
  readonly deployment?: Partial<SimDeployment>;
  readonly lti?: LtiTokenStateOptions;
}): Promise<SimState> => {
  const startDeployment: SimDeployment = { ...DEFAULT_DEPLOYMENT, ...options.deployment };
  let deployment = startDeployment;
  const keys = await generateSimKeys();
  const clock = makeSimClock(options.now);
  const accessTokens = makeAccessTokenStore(clock.now);
  const seedPurpose = 'Simulator seed token';
  const createSeed = (userId: number) =>
    accessTokens.create({ userId, purpose: seedPurpose, expiresAt: null, scopes: [], pending: false });
  const initialSeedId = createSeed(SEED_USER_ID).id;
  // Another user's token, so "another user's token is not found" has something to find.
  createSeed(2);
  accessTokens.markInitial();

  const region = 'us-east-1';
  const principalId = randomUUID();
  const initialSecret = newClientSecret();
  let clientSecret = initialSecret;
  let seedId = initialSeedId;
  const stats = Object.fromEntries(ENDPOINT_NAMES.map((name) => [name, 0])) as Record<EndpointName, number>;
  const routeStats = Object.fromEntries(ROUTE_NAMES.map((name) => [name, 0])) as Record<RouteName, number>;
  const buckets = makeLeakyBuckets({ now: clock.now });
  const dapLimit = makeSlidingWindowLimit({ now: clock.now, limit: 5, windowMs: 60_000 });
  const faults = makeFaultRegistry();

  const seedSecret = (): string => accessTokens.byId(seedId)?.secret ?? '';

  const lti = makeLtiTokenState(options.lti);
  return {
    lti,
    clock,
    keys,
    directory: makeSimDirectory(),
    accessTokens,
    identityTokens: makeIdentityTokens(keys),
    servicesJwts: makeServicesJwts(keys),
    instAccessTokens: makeInstAccessTokens(keys),
    faults,
    buckets,
    dapLimit,
    stats,
    routeStats,
    deployment: () => deployment,
    setDeployment: (changes) => {
      deployment = { ...deployment, ...changes };
      return deployment;
    },
    identityExpiresIn: options.identityExpiresIn,
    allowedAudiences: new Set(options.allowedAudiences),
    region,
    clientId: `${region}#${principalId}`,
    principalId,
    partnerId: randomUUID(),
    clientSecret: () => clientSecret,
    seeds: (url) => ({
      url,
      identity: { clientId: `${region}#${principalId}`, clientSecret },
      canvas: { accessToken: seedSecret(), userId: SEED_USER_ID },
    }),
    rotate: () => {
      clientSecret = newClientSecret();
      const seed = accessTokens.byId(seedId);
      // Someone (the broker's own rotation, say) may have deleted the seed: issue a fresh one then.
      if (seed && seed.workflowState !== 'deleted') accessTokens.regenerate(seed.id);
      else seedId = createSeed(SEED_USER_ID).id;
    },
    reset: () => {
      clientSecret = initialSecret;
      seedId = initialSeedId;
      accessTokens.reset();
      clock.setOffsetSeconds(0);
      for (const name of ENDPOINT_NAMES) stats[name] = 0;
      for (const name of ROUTE_NAMES) routeStats[name] = 0;
      deployment = startDeployment;
      faults.clear();
      buckets.clear();
      lti.reset();
      dapLimit.clear();
    },
  };
};
