import { type BrokerSettings, DEFAULT_SETTINGS } from '../../shared/core/broker-settings.ts';
import type { CredentialConfig } from '../../shared/core/credential.ts';
import { makeCredentialHolds } from '../../shared/core/credential-holds.ts';
import { makeFailureMemory } from '../../shared/core/failure-memory.ts';
import { fingerprint } from '../../shared/core/fingerprint.ts';
import { makeHoldTracker } from '../../shared/core/hold-tracker.ts';
import { makeLeasedRefresh } from '../../shared/core/leased-refresh.ts';
import { makeMintPaces } from '../../shared/core/mint-pace.ts';
import { makeRefreshCycle } from '../../shared/core/refresh-cycle.ts';
import { makeTableSync } from '../../shared/core/table-sync.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import { makeTokenTiming } from '../../shared/core/token-timing.ts';
import { makeTrueTime } from '../../shared/core/true-time.ts';
import { makeUpstreamCall } from '../../shared/core/upstream-call.ts';
import { type CachedToken, itemContextOf, type VariantState } from '../../shared/core/variant-state.ts';
import { makeMemoryTokenStore } from '../doubles/memory-token-store.ts';
import { makeCapturingLogger, makeCapturingMetrics } from './canary.ts';
import { DAP } from './core-harness.ts';
import { makeFakeCipher } from './fake-cipher.ts';
import { makeFakeClock } from './fake-clock.ts';
import { makeFakeSecrets } from './fake-secrets.ts';
import { makeFakeUpstream } from './fake-upstream.ts';

/**
 * What one step of the token lifecycle runs on, as the engine wires it, for unit tests of that
 * step alone: a fake clock (moved only by the test or by sleeping), the in-memory store, the fake
 * cipher and capturing telemetry.
 */
export const makeLifecycleFixture = (overrides: Partial<BrokerSettings> = {}) => {
  const settings: BrokerSettings = { ...DEFAULT_SETTINGS, ...overrides };
  const clock = makeFakeClock();
  const time = makeTrueTime(clock, undefined, settings.clockSkewToleranceMs);
  const random = () => 0.5;
  const store: TokenStore = makeMemoryTokenStore();
  return {
    settings,
    clock,
    time,
    random,
    store,
    cipher: makeFakeCipher(),
    timing: makeTokenTiming(settings, random, time),
    holds: makeHoldTracker(time, {
      leaseMs: settings.leaseMs,
      failureMs: 3_600_000,
      uncertaintyMs: settings.clockSkewToleranceMs,
    }),
    logger: makeCapturingLogger(),
    metrics: makeCapturingMetrics(),
    instanceId: 'i-test',
  };
};

export type LifecycleFixture = ReturnType<typeof makeLifecycleFixture>;

let variants = 0;
/** A new variant of `credential` that this instance has never seen. */
export const freshState = (credential: CredentialConfig = DAP): VariantState => ({
  key: { credentialId: credential.id, variantId: `v-${++variants}` },
  credential,
  params: {},
  source: 'table',
});

/**
 * Writes `token` for `state` as another instance would (lease, sealed in its item at the next
 * version, fenced write), living `lifeMs` from now. Returns the item as a read now sees it.
 */
export const storeToken = async (
  fx: LifecycleFixture,
  state: VariantState,
  token: string,
  { lifeMs = 3_600_000, refreshableForMs }: { lifeMs?: number; refreshableForMs?: number } = {},
) => {
  const before = await fx.store.read(state.key);
  const version = before?.version ?? 0;
  const leaseId = `other-${version}`;
  const now = fx.clock.now();
  const lease = { id: leaseId, owner: 'i-other', at: now, ms: fx.settings.leaseMs };
  const init = { kind: state.credential.kind, params: state.params };
  if (!(await fx.store.acquireLease(state.key, init, lease, { version, leaseId: before?.lease?.id })))
    throw new Error('storeToken: lease refused');
  const written = await fx.store.putToken(state.key, leaseId, version, {
    envelope: await fx.cipher.seal(token, itemContextOf(state.key, version + 1)),
    fingerprint: fingerprint(token),
    issuedAt: now,
    expiresAt: now + lifeMs,
    refreshAt: now + lifeMs / 2,
    ...(refreshableForMs === undefined ? {} : { refreshableUntil: now + refreshableForMs }),
    readableExpiry: false,
    secretVersionId: 'v1',
    renewalMs: 25,
  });
  if (!written) throw new Error('storeToken: write fenced out');
  return (await fx.store.read(state.key))!;
};

/** The engine's refresh step over the fixture, with a fake upstream and secrets. */
export const makeRefreshUnderTest = (fx: LifecycleFixture, options: { refreshable?: boolean } = {}) => {
  const upstream = makeFakeUpstream(fx.clock, options);
  const secrets = makeFakeSecrets({
    'dap-secret': { clientId: 'id', clientSecret: 's1' },
    'canvas-secret': { accessToken: 'c1' },
  });
  const credentialHolds = makeCredentialHolds(fx);
  const paces = makeMintPaces({ initialMs: 50, maxMs: 400, maxExpectedMs: fx.settings.leaseMs });
  const failureMemory = makeFailureMemory({ ...fx, unhealthyAfterMs: fx.settings.unhealthyAfterMs });
  const refresh = makeLeasedRefresh({
    ...fx,
    credentialHolds,
    paces,
    failureMemory,
    callUpstream: makeUpstreamCall({ ...fx, secrets, upstreamFor: () => upstream }),
  });
  return { upstream, secrets, credentialHolds, paces, refresh };
};

/** The engine's cycle over the fixture: the refresh step, table sync and the same `servable`. */
export const makeCycleUnderTest = (fx: LifecycleFixture) => {
  const under = makeRefreshUnderTest(fx);
  const servable = (token: CachedToken | undefined, needMs: number, now: number): token is CachedToken =>
    token !== undefined &&
    fx.timing.guaranteedMs(token, now) > 0 &&
    fx.timing.guaranteedMs(token, now) >= needMs;
  const join = makeRefreshCycle({ ...fx, ...under, tableSync: makeTableSync(fx), servable });
  return { ...under, servable, join };
};
