import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLocalAssertionSigner } from '../../shared/adapters/local/local-assertion-signer.ts';
import type { AssertionSigner } from '../../shared/core/assertion-signer.ts';
import { type CredentialConfig, LTI_SIGNING_KEY_SECRET_ID } from '../../shared/core/credential.ts';
import { makeJwksPublisher } from '../../shared/core/jwks-publisher.ts';
import { type Fleet, SERVICE, startFleet } from '../support/broker-fleet.ts';

const AGS = 'https://purl.imsglobal.org/spec/lti-ags/scope';
const LINEITEM = `${AGS}/lineitem`;
const SCORE = `${AGS}/score`;
const RESULT = `${AGS}/result.readonly`;
const NRPS = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';
const CLIENT_ID = '10000000000042';

/**
 * The developer key allows four scopes; the broker's deployment allows all four; callers may ask
 * for three of them (result.readonly is the operator's only). A scope nobody configured
 * (`…/lti/scope/other`) is outside everything.
 */
const ltiCredential = (simulatorUrl: string): CredentialConfig => ({
  id: 'lti',
  kind: 'lti-advantage',
  secretId: LTI_SIGNING_KEY_SECRET_ID,
  baseUrl: simulatorUrl,
  fixedParams: {},
  callerParams: { scopes: [LINEITEM, NRPS, SCORE] },
  lti: { clientId: CLIENT_ID, allowedScopes: [LINEITEM, NRPS, RESULT, SCORE] },
});

/** The tool's JWKS URL, as the construct's unauthenticated route serves it, with keys switchable. */
const startJwksServer = async (published: () => readonly AssertionSigner[]) => {
  const server: Server = createServer((_req, res) => {
    const [current, ...previous] = published();
    makeJwksPublisher({ current: current!, previous })
      .response()
      .then(
        (jwks) => res.writeHead(jwks.status, jwks.headers).end(jwks.body),
        () => res.writeHead(503).end(),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

describe('LTI Advantage tokens through the broker, against the simulated Canvas over sockets', () => {
  let dir: string;
  let fleet: Fleet;
  let keyA: AssertionSigner;
  let keyB: AssertionSigner;
  let published: AssertionSigner[];
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  /** Every client assertion the broker posted, in order. */
  const assertions: string[] = [];

  const ltiCalls = async () => {
    const stats = (await (await fleet.control('/__sim/stats', undefined, 'GET')).json()) as {
      calls: Record<string, number>;
      lti: { minted: number; refused: number };
    };
    return { calls: stats.calls['lti-token'], ...stats.lti };
  };
  /**
   * Canvas charges a token request 200 throttle units on top of its cost, against a bucket of 600
   * that drains 10 units/s (oauth2_provider_controller.rb, request_throttle.rb), so only three
   * come through back to back. Each test step moves the simulator's clock 45 s so its bucket has
   * drained (no real waiting); the broker's assertions stay well inside Canvas's 5-minute iat window.
   */
  let offsetSeconds = 0;
  const breathe = async () => {
    offsetSeconds += 45;
    expect((await fleet.control('/__sim/clock', { offsetSeconds })).status).toBe(200);
  };
  const ask = (instance: number, scopes: unknown) =>
    fleet.brokers[instance]!.getToken(SERVICE, { credentialId: 'lti', params: { scopes } });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ccb-lti-'));
    // Test keys are generated at test time, in a temp folder: nothing is committed.
    keyA = makeLocalAssertionSigner({ path: join(dir, 'a.pem') });
    keyB = makeLocalAssertionSigner({ path: join(dir, 'b.pem') });
    published = [keyA];
    jwks = await startJwksServer(() => published);
    const capture: typeof fetch = async (input, init) => {
      const body = init?.body;
      if (typeof body === 'string' || body instanceof URLSearchParams) {
        const assertion = new URLSearchParams(body.toString()).get('client_assertion');
        if (assertion !== null) assertions.push(assertion);
      }
      return fetch(input, init);
    };
    // Instances 0 and 1 run the deployment before the rotation (key A); instance 2 runs after it (key B).
    fleet = await startFleet({
      instances: 3,
      credentials: (url) => [ltiCredential(url)],
      signerFor: (i) => (i === 2 ? keyB : keyA),
      fetchFor: () => capture,
    });
    const registered = await fleet.control('/__sim/lti/keys', {
      clientId: CLIENT_ID,
      scopes: [LINEITEM, NRPS, RESULT, SCORE],
      publicJwkUrl: jwks.url,
    });
    expect(registered.status).toBe(201);
  });

  afterAll(async () => {
    await fleet?.stop();
    await jwks?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('mints one token for a scope set across instances, and serves it to another instance with no new mint', async () => {
    await breathe();
    // 30 callers at once on three instances: one assertion, one mint.
    const burst = await Promise.all(Array.from({ length: 30 }, (_, i) => ask(i % 3, [NRPS, SCORE])));
    const first = burst[0]!;
    expect(new Set(burst.map((t) => t.token)).size).toBe(1);
    expect(first.kind).toBe('lti-advantage');
    expect(await fleet.sim.introspect(first.token)).toMatchObject({ active: true, kind: 'lti-advantage' });
    expect(decodeJwt(first.token).scopes).toBe([NRPS, SCORE].sort().join(' '));
    // The same set in another order and with a repeat is the same variant.
    const second = await ask(1, `${SCORE} ${NRPS} ${SCORE}`);
    expect(second.token).toBe(first.token);
    expect(await ltiCalls()).toMatchObject({ calls: 1, minted: 1, refused: 0 });
  });

  it('never serves a token for a scope set it was not minted for', async () => {
    await breathe();
    const narrower = await ask(1, [NRPS]);
    const wider = await ask(0, [NRPS, SCORE, LINEITEM]);
    const both = await ask(1, [NRPS, SCORE]);
    expect(decodeJwt(narrower.token).scopes).toBe(NRPS);
    expect(decodeJwt(wider.token).scopes).toBe([LINEITEM, NRPS, SCORE].sort().join(' '));
    expect(new Set([narrower.token, wider.token, both.token]).size).toBe(3);
    expect(await ltiCalls()).toMatchObject({ calls: 3, minted: 3 });
  });

  it('answers 403 with no upstream call for a scope outside the caller policy or the developer key', async () => {
    const before = await ltiCalls();
    await expect(ask(0, [NRPS, RESULT])).rejects.toMatchObject({ code: 'POLICY_DENIED' });
    await expect(ask(2, ['https://purl.imsglobal.org/spec/lti/scope/other'])).rejects.toMatchObject({
      code: 'POLICY_DENIED',
    });
    await expect(ask(1, [])).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await ltiCalls()).toEqual(before);
  });

  it('keeps tokens flowing through a signing-key rotation overlap, and needs the overlap', async () => {
    // Publish first: the JWKS lists the new key (current) and the old one while instances move over.
    published = [keyB, keyA];
    await breathe();
    const byNewKey = await ask(2, [LINEITEM]);
    const byOldKey = await ask(0, [LINEITEM, SCORE]);
    expect(decodeJwt(byNewKey.token).scopes).toBe(LINEITEM);
    expect(decodeJwt(byOldKey.token).scopes).toBe([LINEITEM, SCORE].sort().join(' '));
    // A token minted before the rotation is still served, from the table, by an instance on the new key.
    const early = await ask(2, [NRPS, SCORE]);
    expect(decodeJwt(early.token).scopes).toBe([NRPS, SCORE].sort().join(' '));
    const kids = assertions.map((a) => JSON.parse(Buffer.from(a.split('.')[0]!, 'base64url').toString()).kid);
    const [kidA, kidB] = [(await keyA.publicJwk()).kid, (await keyB.publicJwk()).kid];
    expect(kids.at(-2)).toBe(kidB);
    expect(kids.at(-1)).toBe(kidA);
    // Once the old key is withdrawn, only the new one is accepted: the overlap is what kept A working.
    published = [keyB];
    await breathe();
    await expect(ask(1, [LINEITEM, NRPS])).rejects.toMatchObject({ code: 'UPSTREAM_CREDENTIALS_REJECTED' });
    const after = await ask(2, [SCORE]);
    expect(decodeJwt(after.token).scopes).toBe(SCORE);
  });

  it('never replays a jti, and the simulator refuses a replayed one', async () => {
    const jtis = assertions.map((a) => decodeJwt(a).jti);
    expect(jtis.length).toBeGreaterThanOrEqual(7);
    expect(new Set(jtis).size).toBe(jtis.length);
    // Every refusal so far is the withdrawn key's, never a replay.
    const { refused } = await ltiCalls();
    expect(refused).toBe(1);
    const replay = await fetch(`${fleet.sim.url}/login/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'replay-test' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertions.at(-1)!,
        scope: [LINEITEM, NRPS].join(' '),
      }),
    });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({
      error: 'invalid_request',
      error_description: "the 'jti' is invalid",
    });
  });
});
