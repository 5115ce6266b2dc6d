import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeUpstreamClient } from '../../../shared/adapters/http/make-upstream-client.ts';
import { sendUpstreamRequest } from '../../../shared/adapters/http/send-upstream-request.ts';
import type { CredentialConfig } from '../../../shared/core/credential.ts';
import { captureError } from './support/capture-error.ts';
import { type SimulatorHarness, startSimulatorHarness } from './support/simulator-harness.ts';

let h: SimulatorHarness;
beforeAll(async () => {
  h = await startSimulatorHarness();
});
afterAll(() => h.sim.stop());
beforeEach(() => h.reset());

/**
 * Leaves exactly one idle keep-alive connection to the simulator in fetch's pool: sequential
 * requests, each fully read, and one event-loop turn so undici has released the socket before the
 * next request is dispatched (ordering, not wall-clock time).
 */
const warmKeepAliveSocket = async () => {
  for (let i = 0; i < 2; i += 1) {
    const response = await fetch(`${h.sim.url}/__sim/seeds`);
    await response.text();
    await new Promise((resolve) => setImmediate(resolve));
  }
};

const jwtClient = () => {
  const credential: CredentialConfig = {
    id: 'cold-jwt',
    kind: 'canvas-jwt',
    secretId: 'secret/canvas',
    baseUrl: h.sim.url,
    fixedParams: {},
    callerParams: {},
  };
  const { baseUrl: _baseUrl, ...deps } = h.deps();
  return makeUpstreamClient(credential, deps);
};

const mint = () =>
  jwtClient().mint({
    secret: { versionId: 'v1', fields: { accessToken: h.sim.seeds().canvas.accessToken } },
    params: { workflows: ['ui'] },
    signal: new AbortController().signal,
  });

const whoami = () =>
  sendUpstreamRequest(h.deps(), {
    operation: 'Canvas users self',
    method: 'GET',
    url: '/api/v1/users/self',
    headers: { authorization: `Bearer ${h.sim.seeds().canvas.accessToken}` },
  });

describe('sendUpstreamRequest over a reused keep-alive socket', () => {
  it('serves a cold credential’s first mint when the reused socket resets before any answer, with one mint upstream', async () => {
    await warmKeepAliveSocket();
    h.sim.addFault({ endpoint: 'jwts', kind: 'reset', times: 1 });
    const issued = await mint();
    expect((await h.sim.introspect(issued.token)).active).toBe(true);
    expect(h.sim.stats().jwts).toBe(1);
  });

  it('reconnects at most once, and never after a reset on a fresh connection', async () => {
    await warmKeepAliveSocket();
    h.sim.addFault({ endpoint: 'users-show', kind: 'reset', times: 3 });
    // Reset on the reused socket, one reconnect, reset again on the fresh one: fails (2 used).
    expect((await captureError(whoami())).code).toBe('UPSTREAM_RETRYABLE');
    // Both sockets are gone: a fresh connection, reset, no reconnect (the 3rd and last used).
    expect((await captureError(whoami())).code).toBe('UPSTREAM_RETRYABLE');
    expect((await whoami()).status).toBe(200);
    expect(h.sim.routeStats()['users-show']).toBe(1);
  });

  it('never repeats a request whose answer had begun: a truncated mint stays one mint and fails', async () => {
    await warmKeepAliveSocket();
    h.sim.addFault({ endpoint: 'jwts', kind: 'truncated', times: 1 });
    const error = await captureError(mint());
    expect(error.retryable).toBe(true);
    expect(h.sim.stats().jwts).toBe(1);
  });
});
