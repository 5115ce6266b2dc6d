import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../shared/core/broker-settings.ts';
import {
  CredentialsRejectedError,
  StoreUnavailableError,
  UpstreamFatalError,
  UpstreamRetryableError,
  UpstreamTimeoutError,
} from '../../shared/core/errors.ts';
import { makeBroker } from '../../shared/core/make-broker.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import { makeMemoryTokenStore } from '../doubles/memory-token-store.ts';
import { makeCapturingLogger, makeCapturingMetrics } from '../support/canary.ts';
import { ADMIN, ALICE, DAP, JWT, POLICY } from '../support/core-harness.ts';
import { makeFakeCipher } from '../support/fake-cipher.ts';
import { makeFakeClock } from '../support/fake-clock.ts';
import { makeFakeSecrets } from '../support/fake-secrets.ts';
import { makeFakeUpstream } from '../support/fake-upstream.ts';

const MIN = 60_000;

const setup = (store: TokenStore = makeMemoryTokenStore()) => {
  const clock = makeFakeClock();
  const upstream = makeFakeUpstream(clock, { refreshable: true });
  const logger = makeCapturingLogger();
  const metrics = makeCapturingMetrics();
  const broker = makeBroker({
    credentials: [DAP, JWT],
    policy: POLICY,
    store,
    secrets: makeFakeSecrets({
      'dap-secret': { clientId: 'id', clientSecret: 's1' },
      'canvas-secret': { accessToken: 'c1' },
    }),
    cipher: makeFakeCipher(),
    upstreamFor: () => upstream,
    clock,
    random: () => 0.5,
    logger,
    metrics,
    instanceId: 'i-test',
  });
  const lines = (prefix: string) => logger.entries.filter((e) => e.message.startsWith(prefix));
  return { clock, upstream, logger, metrics, broker, store, lines };
};

describe('a canvas-jwt refresh that fails with a failure of the whole host', () => {
  it.each([
    ['429', new UpstreamRetryableError('throttled', { upstreamStatus: 429, retryAfterSeconds: 60 })],
    ['a timeout', new UpstreamTimeoutError('slow')],
    ['a network error', new UpstreamRetryableError('network error (ECONNRESET)')],
  ])('does not mint after %s, and the still-valid token keeps being served', async (_name, error) => {
    const { clock, upstream, broker } = setup();
    const first = await broker.getToken(ALICE, { credentialId: 'canvas-jwt' });
    clock.advance(56 * MIN);
    upstream.failNext(error);
    await expect(broker.forceRefresh(ADMIN, 'canvas-jwt')).rejects.toMatchObject({
      code: 'TOKEN_UNAVAILABLE',
    });
    expect(upstream.calls).toEqual({ mint: 1, refresh: 1 });
    expect((await broker.getToken(ALICE, { credentialId: 'canvas-jwt' })).token).toBe(first.token);
  });

  it('writes a credential hold only for throttling', async () => {
    const { clock, upstream, broker, store } = setup();
    await broker.getToken(ALICE, { credentialId: 'canvas-jwt' });
    clock.advance(56 * MIN);
    upstream.failNext(new UpstreamTimeoutError('slow'));
    await broker.forceRefresh(ADMIN, 'canvas-jwt').catch(() => undefined);
    expect(await store.readCredentialHold('canvas-jwt')).toBeUndefined();
    upstream.failNext(new UpstreamRetryableError('throttled', { upstreamStatus: 403 }));
    await broker.forceRefresh(ADMIN, 'canvas-jwt').catch(() => undefined);
    expect(await store.readCredentialHold('canvas-jwt')).toMatchObject({ code: 'UPSTREAM_RETRYABLE' });
  });
});

describe('the credential hold', () => {
  it('fails open: an unreadable hold never keeps a token from being issued', async () => {
    const inner = makeMemoryTokenStore();
    const store: TokenStore = {
      ...inner,
      readCredentialHold: async () => {
        throw new StoreUnavailableError('GetItem failed');
      },
    };
    const { broker, lines } = setup(store);
    await expect(broker.getToken(ALICE, { credentialId: 'dap' })).resolves.toMatchObject({
      tier: 'upstream',
    });
    expect(lines('credential hold not read')).toHaveLength(1);
  });
});

describe('persistent-failure detection', () => {
  const failForever = (
    upstream: ReturnType<typeof setup>['upstream'],
    error: () => Error & { code: string },
  ) => {
    upstream.mint = async () => {
      throw error();
    };
  };

  it('keeps a credential unhealthy across a change of error code until a token is issued, one line each way', async () => {
    const { clock, upstream, broker, lines } = setup();
    const original = upstream.mint;
    failForever(upstream, () => new UpstreamRetryableError('500', { upstreamStatus: 500 }));
    const attempt = async () => {
      const error = await broker
        .getToken(ALICE, { credentialId: 'dap' })
        .catch((e: { retryAfterSeconds?: number }) => e);
      clock.advance(((error as { retryAfterSeconds?: number }).retryAfterSeconds ?? 1) * 1000);
    };
    const start = clock.now();
    // Past the 15 min window plus one backoff step (up to 150 s at this jitter).
    while (clock.now() - start < 20 * MIN) await attempt();
    expect(lines('credential unhealthy')).toHaveLength(1);
    failForever(upstream, () => new UpstreamFatalError('404'));
    for (let i = 0; i < 5; i++) await attempt();
    expect(lines('credential unhealthy')).toHaveLength(1);
    const detail = await broker.describeCredential(ADMIN, 'dap');
    expect(detail.health).toMatchObject({ state: 'unhealthy', code: 'UPSTREAM_FATAL' });
    upstream.mint = original;
    for (let i = 0; i < 10 && lines('credential healthy again').length === 0; i++) await attempt();
    expect(lines('credential healthy again')).toHaveLength(1);
    expect((await broker.describeCredential(ADMIN, 'dap')).health).toEqual({ state: 'healthy' });
  });

  it('restarts the streak when the code changes, so alternating failures are not "the same way"', async () => {
    const { clock, upstream, broker, lines, store } = setup();
    let n = 0;
    failForever(upstream, () =>
      n++ % 2 === 0
        ? new UpstreamRetryableError('500', { upstreamStatus: 500 })
        : new UpstreamTimeoutError('slow'),
    );
    const start = clock.now();
    while (clock.now() - start < 30 * MIN) {
      const error = await broker
        .getToken(ALICE, { credentialId: 'dap' })
        .catch((e: { retryAfterSeconds?: number }) => e);
      clock.advance(((error as { retryAfterSeconds?: number }).retryAfterSeconds ?? 1) * 1000);
    }
    expect(lines('credential unhealthy')).toHaveLength(0);
    const [item] = await store.list('dap');
    expect(item?.failure?.since).toBe(item?.failure?.at);
    expect((await broker.describeCredential(ADMIN, 'dap')).health).toEqual({ state: 'healthy' });
  });
});

describe('a refresh whose access token is rejected', () => {
  it('re-reads the secret once and, with a new version, mints once with it (no second refresh)', async () => {
    const clock = makeFakeClock();
    const upstream = makeFakeUpstream(clock, { refreshable: true });
    const secrets = makeFakeSecrets({
      'dap-secret': { clientId: 'id', clientSecret: 's1' },
      'canvas-secret': { accessToken: 'c1' },
    });
    const broker = makeBroker({
      credentials: [DAP, JWT],
      policy: POLICY,
      store: makeMemoryTokenStore(),
      secrets,
      cipher: makeFakeCipher(),
      upstreamFor: () => upstream,
      clock,
      random: () => 0.5,
      instanceId: 'i-test',
    });
    await broker.getToken(ALICE, { credentialId: 'canvas-jwt' });
    secrets.set('canvas-secret', { accessToken: 'c2' });
    upstream.acceptOnly('c2', () => new CredentialsRejectedError('401', { upstreamStatus: 401 }));
    // Past the guaranteed life (expiry minus the clock margin): the renewal is synchronous.
    clock.advance(60 * MIN - DEFAULT_SETTINGS.clockSkewToleranceMs + 1);
    await expect(broker.getToken(ALICE, { credentialId: 'canvas-jwt' })).resolves.toMatchObject({
      tier: 'upstream',
    });
    expect(upstream.calls).toEqual({ mint: 2, refresh: 1 });
    expect(upstream.secretsSeen).toEqual(['c1', 'c1', 'c2']);
  });
});
