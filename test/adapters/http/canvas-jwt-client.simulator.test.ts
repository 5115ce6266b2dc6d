import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeCanvasJwtClient } from '../../../shared/adapters/http/canvas-jwt-client.ts';
import { makeCanvasTokensClient } from '../../../shared/adapters/http/canvas-tokens-client.ts';
import type { NormalizedParams } from '../../../shared/core/credential.ts';
import { captureError, expectNoSecrets } from './support/capture-error.ts';
import {
  ROUND_TRIP_MS,
  SIM_START,
  type SimulatorHarness,
  startSimulatorHarness,
} from './support/simulator-harness.ts';

const HOUR = 3_600_000;
const ANCHOR = SIM_START - ROUND_TRIP_MS;

let h: SimulatorHarness;
beforeAll(async () => {
  h = await startSimulatorHarness();
});
afterAll(() => h.sim.stop());
beforeEach(() => h.reset());

const accessToken = () => h.sim.seeds().canvas.accessToken;
const jwts = (overrides: Parameters<SimulatorHarness['deps']>[0] = {}) =>
  makeCanvasJwtClient(h.deps(overrides));
const create = (params: NormalizedParams = {}, token = accessToken()) =>
  jwts().create({ accessToken: token, params });
const inner = (token: string) => Buffer.from(token, 'base64').toString('latin1');

describe('Canvas JWT create against the simulator', () => {
  it('mints an encrypted token: unreadable, one hour from the anchor, refreshable six hours more', async () => {
    const issued = await create({ workflows: ['ui'] });
    expect(issued).toMatchObject({
      issuedAt: ANCHOR,
      expiresAt: ANCHOR + HOUR,
      readableExpiry: false,
      refreshableUntil: ANCHOR + 7 * HOUR,
    });
    expect(inner(issued.token).split('.')).toHaveLength(5);
    expect(await h.sim.introspect(issued.token)).toMatchObject({ active: true, kind: 'canvas-jwt' });
  });

  it('mints a signed-only token with canvas_audience=false, whose exp it reads', async () => {
    const issued = await create({ workflows: ['ui'], canvasAudience: false });
    expect(issued.readableExpiry).toBe(true);
    expect(issued.refreshableUntil).toBeUndefined();
    // exp (SIM_START + 1 h) is later than the anchored hour, which therefore wins.
    expect(issued.expiresAt).toBe(ANCHOR + HOUR);
    expect(decodeJwt(inner(issued.token))).toMatchObject({
      iss: 'Canvas',
      workflows: ['ui'],
      exp: SIM_START / 1000 + 3600,
    });
  });

  it('mints a signed-only token for an allowed audience', async () => {
    const issued = await create({ audience: 'instructure:sim-service' });
    expect(decodeJwt(inner(issued.token)).aud).toEqual(['instructure:sim-service']);
    expect(issued.readableExpiry).toBe(true);
  });

  it('carries a rich_content context by id', async () => {
    const issued = await create({
      workflows: ['rich_content'],
      contextType: 'Course',
      contextId: '1',
      canvasAudience: false,
    });
    expect(decodeJwt(inner(issued.token))).toMatchObject({ context_type: 'Course', context_id: '1' });
  });

  it('anchors on the simulator clock offset set through the control API', async () => {
    await h.control('POST', '/__sim/clock', { offsetSeconds: 90 });
    expect((await create()).issuedAt).toBe(SIM_START + 90_000 - ROUND_TRIP_MS);
  });
});

describe('Canvas JWT create failures from the simulator (contract section 2)', () => {
  it('reads an unknown token as rejected credentials (401 with WWW-Authenticate)', async () => {
    const bogus = '1~notARealTokenButLongEnoughToLookLikeOne0123456789';
    const error = await captureError(create({}, bogus));
    expect(error).toMatchObject({ code: 'UPSTREAM_CREDENTIALS_REJECTED', upstreamStatus: 401 });
    expectNoSecrets(error, [bogus]);
  });

  it('reads a rotated-away token as rejected credentials', async () => {
    const old = accessToken();
    await h.control('POST', '/__sim/rotate');
    const error = await captureError(create({}, old));
    expect(error.code).toBe('UPSTREAM_CREDENTIALS_REJECTED');
    expectNoSecrets(error, [old, accessToken()]);
  });

  it('refuses to mint with a services JWT (403, fatal)', async () => {
    const jwt = (await create()).token;
    const error = await captureError(create({}, jwt));
    expect(error).toMatchObject({ code: 'UPSTREAM_FATAL', upstreamStatus: 403 });
    expect(error.message).toContain('cannot generate a JWT when authorized by a JWT');
    expectNoSecrets(error, [jwt]);
  });

  it('reads a 401 for insufficient scopes as fatal, not as rejected credentials', async () => {
    const tokens = makeCanvasTokensClient(h.deps());
    const scoped = await tokens.create(accessToken(), 'self', {
      purpose: 'scoped',
      scopes: ['url:POST|/api/v1/inst_access_tokens'],
    });
    const error = await captureError(create({}, scoped.secret ?? ''));
    expect(error).toMatchObject({ code: 'UPSTREAM_FATAL', upstreamStatus: 401 });
    expect(error.message).toContain('Insufficient scopes');
    expectNoSecrets(error, [scoped.secret ?? '']);
  });

  const validation: [string, NormalizedParams, number, string][] = [
    ['an audience that is not allowed', { audience: 'instructure:elsewhere' }, 400, 'invalid_target'],
    [
      'a missing context_type',
      { workflows: ['rich_content'], contextId: '1' },
      400,
      'Missing context_type parameter.',
    ],
    [
      'a missing context id',
      { workflows: ['rich_content'], contextType: 'Course' },
      400,
      'Missing context_id or context_uuid',
    ],
    [
      'both context id and uuid',
      { workflows: ['rich_content'], contextType: 'Course', contextId: '1', contextUuid: 'u' },
      400,
      'but not both',
    ],
    [
      'an invalid context_type',
      { workflows: ['rich_content'], contextType: 'Group' as 'Course', contextId: '1' },
      400,
      'Invalid context_type',
    ],
    [
      'a context that does not exist',
      { workflows: ['rich_content'], contextType: 'Course', contextId: '999' },
      404,
      'does not exist',
    ],
    [
      'a context the user cannot read',
      { workflows: ['rich_content'], contextType: 'Course', contextId: '3' },
      403,
      'not authorized',
    ],
  ];

  it.each(validation)('reads %s as fatal', async (_name, params, status, text) => {
    const error = await captureError(create(params));
    expect(error).toMatchObject({ code: 'UPSTREAM_FATAL', upstreamStatus: status });
    expect(error.message).toContain(text);
    expectNoSecrets(error, [accessToken()]);
  });

  const faults: [string, Record<string, unknown>, string, number, number?][] = [
    ['the rate-limit text', { kind: 'rate-limit' }, 'UPSTREAM_RETRYABLE', 403, 5],
    ['429 with Retry-After', { kind: 'status', status: 429, retryAfter: 4 }, 'UPSTREAM_RETRYABLE', 429, 4],
    ['500', { kind: 'status', status: 500 }, 'UPSTREAM_RETRYABLE', 500],
    ['502', { kind: 'status', status: 502 }, 'UPSTREAM_RETRYABLE', 502],
    ['a permission envelope', { kind: 'status', status: 403 }, 'UPSTREAM_FATAL', 403],
    ['a malformed 200', { kind: 'malformed' }, 'UPSTREAM_MALFORMED', 200],
  ];

  it.each(faults)('classifies %s', async (_name, fault, code, status, retryAfter) => {
    await h.control('POST', '/__sim/faults', { endpoint: 'jwts', times: 1, ...fault });
    const error = await captureError(create());
    expect(error).toMatchObject({ code, upstreamStatus: status });
    expect(error.retryAfterSeconds).toBe(retryAfter);
    expectNoSecrets(error, [accessToken()]);
  });

  it('gives up on a hanging create at the deadline', async () => {
    await h.control('POST', '/__sim/faults', { endpoint: 'jwts', kind: 'hang', times: 1 });
    expect(
      (await captureError(jwts({ timeoutMs: 200 }).create({ accessToken: accessToken(), params: {} }))).code,
    ).toBe('UPSTREAM_TIMEOUT');
  });
});

describe('Canvas JWT refresh against the simulator (contract section 3)', () => {
  it('refreshes an encrypted token into a new encrypted one with the same workflows', async () => {
    const first = await create({ workflows: ['ui'] });
    h.advance(30 * 60_000);
    const refreshed = await jwts().refresh({ accessToken: accessToken(), jwt: first.token });
    expect(refreshed.token).not.toBe(first.token);
    expect(refreshed).toMatchObject({
      issuedAt: SIM_START + 30 * 60_000 - ROUND_TRIP_MS,
      readableExpiry: false,
      refreshableUntil: SIM_START + 30 * 60_000 - ROUND_TRIP_MS + 7 * HOUR,
    });
    expect(await h.sim.introspect(refreshed.token)).toMatchObject({ active: true, kind: 'canvas-jwt' });
    expect(h.sim.stats()['jwts-refresh']).toBe(1);
  });

  it('still refreshes an expired token inside the six-hour window', async () => {
    const first = await create();
    h.advance(6 * HOUR);
    expect((await jwts().refresh({ accessToken: accessToken(), jwt: first.token })).readableExpiry).toBe(
      false,
    );
  });

  it('reads "invalid refresh" after the window as RefreshRejectedError', async () => {
    const first = await create();
    h.advance(7 * HOUR + 1_000);
    const error = await captureError(jwts().refresh({ accessToken: accessToken(), jwt: first.token }));
    expect(error).toMatchObject({ code: 'UPSTREAM_REFRESH_REJECTED', upstreamStatus: 400 });
    expectNoSecrets(error, [first.token, accessToken()]);
  });

  it('reads "invalid refresh" for a token Canvas never issued', async () => {
    const jwt = Buffer.from('a.b.c.d.e').toString('base64');
    expect((await captureError(jwts().refresh({ accessToken: accessToken(), jwt }))).code).toBe(
      'UPSTREAM_REFRESH_REJECTED',
    );
  });

  it('does not even ask Canvas to refresh a signed-only token', async () => {
    const signed = await create({ canvasAudience: false });
    const error = await captureError(jwts().refresh({ accessToken: accessToken(), jwt: signed.token }));
    expect(error.code).toBe('UPSTREAM_REFRESH_REJECTED');
    expect(h.sim.stats()['jwts-refresh']).toBe(0);
  });

  it('reads a missing jwt as fatal and a JWT-authenticated refresh as fatal', async () => {
    expect((await captureError(jwts().refresh({ accessToken: accessToken(), jwt: '' }))).code).toBe(
      'UPSTREAM_FATAL',
    );
    const jwt = (await create()).token;
    const error = await captureError(jwts().refresh({ accessToken: jwt, jwt }));
    expect(error).toMatchObject({ code: 'UPSTREAM_FATAL', upstreamStatus: 403 });
  });

  it('reads a rejected access token on refresh as rejected credentials', async () => {
    const first = await create();
    const old = accessToken();
    await h.control('POST', '/__sim/rotate');
    const error = await captureError(jwts().refresh({ accessToken: old, jwt: first.token }));
    expect(error.code).toBe('UPSTREAM_CREDENTIALS_REJECTED');
  });

  it('classifies an injected refresh 400 as a rejected refresh and a 503 as retryable', async () => {
    const first = await create();
    await h.control('POST', '/__sim/faults', {
      endpoint: 'jwts-refresh',
      kind: 'status',
      status: 400,
      times: 1,
    });
    expect((await captureError(jwts().refresh({ accessToken: accessToken(), jwt: first.token }))).code).toBe(
      'UPSTREAM_REFRESH_REJECTED',
    );
    await h.control('POST', '/__sim/faults', {
      endpoint: 'jwts-refresh',
      kind: 'status',
      status: 503,
      retryAfter: 12,
      times: 1,
    });
    const error = await captureError(jwts().refresh({ accessToken: accessToken(), jwt: first.token }));
    expect(error).toMatchObject({ code: 'UPSTREAM_RETRYABLE', retryAfterSeconds: 12 });
  });
});
