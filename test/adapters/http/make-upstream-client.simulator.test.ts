import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeUpstreamClient } from '../../../shared/adapters/http/make-upstream-client.ts';
import type { CredentialConfig, TokenKind } from '../../../shared/core/credential.ts';
import type { SecretValue } from '../../../shared/core/secret-source.ts';
import { captureError, expectNoSecrets } from './support/capture-error.ts';
import { type SimulatorHarness, startSimulatorHarness } from './support/simulator-harness.ts';

let h: SimulatorHarness;
beforeAll(async () => {
  h = await startSimulatorHarness();
});
afterAll(() => h.sim.stop());
beforeEach(() => h.reset());

const upstream = (kind: TokenKind) => {
  const credential: CredentialConfig = {
    id: `sim-${kind}`,
    kind,
    secretId: `secret/${kind}`,
    baseUrl: h.sim.url,
    fixedParams: {},
    callerParams: {},
  };
  const { baseUrl: _baseUrl, ...deps } = h.deps();
  return makeUpstreamClient(credential, deps);
};

const secretFor = (kind: TokenKind): SecretValue => {
  const seeds = h.sim.seeds();
  return {
    versionId: 'v1',
    fields: kind === 'identity-service' ? { ...seeds.identity } : { accessToken: seeds.canvas.accessToken },
  };
};

const request = (kind: TokenKind) => ({
  secret: secretFor(kind),
  params: kind === 'canvas-jwt' ? { workflows: ['ui'] } : {},
  signal: new AbortController().signal,
});

describe('makeUpstreamClient against the simulator', () => {
  it.each(['identity-service', 'canvas-jwt', 'inst-access'] as const)(
    'mints a live %s token',
    async (kind) => {
      const issued = await upstream(kind).mint(request(kind));
      expect((await h.sim.introspect(issued.token)).active).toBe(true);
      expect(issued.expiresAt).toBeGreaterThan(issued.issuedAt);
    },
  );

  it('refreshes a canvas-jwt token through the port', async () => {
    const client = upstream('canvas-jwt');
    const first = await client.mint(request('canvas-jwt'));
    const refreshed = await client.refresh?.({ ...request('canvas-jwt'), previousToken: first.token });
    expect(refreshed && (await h.sim.introspect(refreshed.token)).active).toBe(true);
  });

  it.each(['identity-service', 'canvas-jwt', 'inst-access'] as const)(
    'reports a rotated-away %s secret as rejected credentials, without the secret',
    async (kind) => {
      const stale = request(kind);
      await h.control('POST', '/__sim/rotate');
      const error = await captureError(upstream(kind).mint(stale));
      expect(error.code).toBe('UPSTREAM_CREDENTIALS_REJECTED');
      expectNoSecrets(
        error,
        Object.values(stale.secret.fields).filter((v) => v.length > 12),
      );
    },
  );
});
