import { describe, expect, it } from 'vitest';
import { CredentialsRejectedError, RefreshRejectedError } from '../../shared/core/errors.ts';
import { makeUpstreamCall } from '../../shared/core/upstream-call.ts';
import { DAP, JWT } from '../support/core-harness.ts';
import { makeFakeSecrets } from '../support/fake-secrets.ts';
import { makeFakeUpstream } from '../support/fake-upstream.ts';
import { freshState, makeLifecycleFixture } from '../support/lifecycle-fixture.ts';

const setup = (refreshable = false) => {
  const fx = makeLifecycleFixture();
  const upstream = makeFakeUpstream(fx.clock, { refreshable });
  const secrets = makeFakeSecrets({
    'dap-secret': { clientId: 'id', clientSecret: 's1' },
    'canvas-secret': { accessToken: 'c1' },
  });
  const call = makeUpstreamCall({ ...fx, secrets, upstreamFor: () => upstream });
  return { fx, upstream, secrets, call };
};

const cached = (now: number, refreshableUntil?: number) => ({
  token: 'tok-previous',
  version: 1,
  checkedAt: now,
  fingerprint: 'f',
  issuedAt: now - 1_000,
  expiresAt: now + 60_000,
  refreshAt: now,
  readableExpiry: false,
  secretVersionId: 'v1',
  ...(refreshableUntil === undefined ? {} : { refreshableUntil }),
});

describe('makeUpstreamCall', () => {
  it('mints with the secret it read, and reports which secret version issued the token', async () => {
    const { call, upstream } = setup();
    const result = await call(freshState(DAP), undefined);
    expect(result.via).toBe('mint');
    expect(result.secret.versionId).toBe('v1');
    expect(upstream.secretsSeen).toEqual(['s1']);
  });

  it('refreshes a previous token while it is refreshable, and mints once it is not', async () => {
    const { fx, call, upstream } = setup(true);
    const now = fx.clock.now();
    expect((await call(freshState(JWT), cached(now, now + 1_000))).via).toBe('refresh');
    expect((await call(freshState(JWT), cached(now, now - 1))).via).toBe('mint');
    expect(upstream.calls).toEqual({ mint: 1, refresh: 1 });
  });

  it('mints at once when a refresh fails in a way a mint may not, counting the fallback', async () => {
    const { fx, call, upstream } = setup(true);
    upstream.failNext(new RefreshRejectedError('refresh window closed'));
    const now = fx.clock.now();
    expect((await call(freshState(JWT), cached(now, now + 1_000))).via).toBe('mint');
    expect(fx.metrics.points.map((p) => p.name)).toEqual(['RefreshFallback']);
  });

  it('re-reads a rejected secret once, bypassing caches, and retries with a mint when it changed', async () => {
    const { call, upstream, secrets } = setup();
    upstream.acceptOnly('s2', () => new CredentialsRejectedError('invalid_client'));
    // This instance cached s1; the secret was rotated behind it.
    await secrets.get('dap-secret');
    secrets.set('dap-secret', { clientId: 'id', clientSecret: 's2' });
    const result = await call(freshState(DAP), undefined);
    expect(result.secret.versionId).toBe('v3');
    expect(upstream.secretsSeen).toEqual(['s1', 's2']);
    expect(secrets.reads).toEqual({ cached: 2, forced: 1 });
  });

  it('gives up after one re-read when the secret has not changed', async () => {
    const { call, upstream, secrets } = setup();
    upstream.acceptOnly('never', () => new CredentialsRejectedError('invalid_client'));
    await expect(call(freshState(DAP), undefined)).rejects.toMatchObject({
      code: 'UPSTREAM_CREDENTIALS_REJECTED',
    });
    expect(upstream.calls.mint).toBe(1);
    expect(secrets.reads.forced).toBe(1);
  });

  it('builds one upstream client per credential', async () => {
    const fx = makeLifecycleFixture();
    let built = 0;
    const secrets = makeFakeSecrets({ 'dap-secret': { clientId: 'id', clientSecret: 's1' } });
    const upstream = makeFakeUpstream(fx.clock);
    const upstreamFor = () => {
      built++;
      return upstream;
    };
    const call = makeUpstreamCall({ ...fx, secrets, upstreamFor });
    await call(freshState(DAP), undefined);
    await call(freshState(DAP), undefined);
    expect(built).toBe(1);
  });
});
