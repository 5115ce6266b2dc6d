import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handleLtiToken, LTI_TOKEN_EXTRA_COST } from '../../../dev/simulator/lti-token-api.ts';
import { type LtiDeveloperKey, makeLtiTokenState } from '../../../dev/simulator/lti-token-state.ts';
import { readBody } from '../../../dev/simulator/read-body.ts';
import { makeReply } from '../../../dev/simulator/reply.ts';
import { parseParams } from '../../../dev/simulator/request-params.ts';
import { makeSimClock } from '../../../dev/simulator/sim-clock.ts';
import type { SimRequest } from '../../../dev/simulator/sim-request.ts';
import { rsaPublicJwk } from '../../../shared/adapters/crypto/rsa-public-jwk.ts';
import { makeLtiAdvantageClient } from '../../../shared/adapters/http/lti-advantage-client.ts';
import { makeLtiAdvantageMinter } from '../../../shared/adapters/http/lti-advantage-minter.ts';
import {
  type AssertionSigner,
  makeAssertionSigner,
  type SigningJwk,
} from '../../../shared/core/assertion-signer.ts';
import { CredentialsRejectedError, UpstreamFatalError } from '../../../shared/core/errors.ts';
import { buildJwksResponse } from '../../../shared/core/jwks-document.ts';
import { makeLtiAssertionClaims } from '../../../shared/core/lti-assertion-claims.ts';

const START = Date.UTC(2030, 0, 15, 12, 0, 0);
const NOW_S = START / 1000;
const NRPS = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';
const AGS_SCORE = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';
const AGS_LINEITEM = 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem';
const CLIENT_ID = '10000000000042';
const URL_CLIENT_ID = '10000000000043';

let base = START;
const clock = makeSimClock(() => base);
const lti = makeLtiTokenState({ extraAudiences: ['sso.canvaslms.test'] });
/** The state the tiny server hands the handler; a test may swap in another. */
let served = lti;

const rsaKey = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const signerFor = (privateKey: KeyObject): AssertionSigner =>
  makeAssertionSigner({
    keyRef: 'test',
    publicJwk: () => rsaPublicJwk(privateKey),
    signRs256: async ({ message }) => sign('sha256', message, privateKey),
  });

const toolKey = rsaKey();
const previousKey = rsaKey();
const strangerKey = rsaKey();
const tool = signerFor(toolKey.privateKey);
const previous = signerFor(previousKey.privateKey);
const stranger = signerFor(strangerKey.privateKey);
let toolJwk: SigningJwk;
let previousJwk: SigningJwk;

/** What `GET /jwks.json` on the tool side serves: the broker's own JWKS document builder. */
let jwksBody: () => { status: number; body: string; type: string };
const costs: number[] = [];
let server: Server;
let url: string;

/**
 * A tiny server that stands in for the simulator's routing: POST /login/oauth2/token goes through
 * the same body reader, param parser and reply as the simulator's pipeline, into the handler under
 * test; GET /jwks.json plays the tool's (the broker's) public JWKS URL.
 */
beforeAll(async () => {
  toolJwk = await tool.publicJwk();
  previousJwk = await previous.publicJwk();
  jwksBody = () => ({
    status: 200,
    type: 'application/json',
    body: buildJwksResponse({ current: toolJwk, previous: [previousJwk] }).body,
  });
  server = createServer(async (req, res) => {
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    if (req.method === 'GET' && path === '/jwks.json') {
      const answer = jwksBody();
      res.writeHead(answer.status, { 'content-type': answer.type });
      res.end(answer.body);
      return;
    }
    const body = await readBody(req, 64 * 1024);
    if (!body.ok) return res.destroy();
    const parsed = parseParams(query, body.body, req.headers['content-type']);
    if (!parsed.ok || req.method !== 'POST' || path !== '/login/oauth2/token') {
      res.writeHead(404);
      res.end();
      return;
    }
    const host = req.headers.host ?? '';
    let cost = 0;
    const simRequest: SimRequest = {
      method: 'POST',
      path,
      query,
      headers: req.headers,
      host,
      origin: `http://${host}`,
      routeParams: {},
      params: parsed.params,
      body: body.body,
      contentType: req.headers['content-type'],
      charge: (units) => {
        cost += units;
      },
    };
    await handleLtiToken(simRequest, makeReply(res, clock.now), { clock, lti: served });
    costs.push(cost);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

const keyWithJwk = (): LtiDeveloperKey => ({
  clientId: CLIENT_ID,
  scopes: [NRPS, AGS_SCORE],
  publicJwk: toolJwk,
});
const keyWithUrl = (): LtiDeveloperKey => ({
  clientId: URL_CLIENT_ID,
  scopes: [NRPS],
  publicJwkUrl: `${url}/jwks.json`,
});

beforeEach(() => {
  base = START;
  served = lti;
  lti.reset();
  lti.registerKey(keyWithJwk());
  lti.registerKey(keyWithUrl());
  costs.length = 0;
  jwksBody = () => ({
    status: 200,
    type: 'application/json',
    body: buildJwksResponse({ current: toolJwk, previous: [previousJwk] }).body,
  });
});

const tokenUrl = () => `${url}/login/oauth2/token`;
const claimsFor = (clientId = CLIENT_ID, extra: Record<string, unknown> = {}) => ({
  iss: clientId,
  sub: clientId,
  aud: tokenUrl(),
  iat: NOW_S,
  exp: NOW_S + 300,
  jti: crypto.randomUUID(),
  ...extra,
});

const post = async (fields: Record<string, string>) => {
  const response = await fetch(tokenUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'test' },
    body: new URLSearchParams(fields).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
};

const grant = (assertion: string, scope = NRPS) => ({
  grant_type: 'client_credentials',
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  client_assertion: assertion,
  scope,
});

const invalidRequest = (description: string) => ({
  error: 'invalid_request',
  error_description: description,
});

const brokerClient = () =>
  makeLtiAdvantageClient({
    baseUrl: url,
    clock: { now: () => base, sleep: async () => {} },
    timeoutMs: 10_000,
    userAgent: 'ccb-test',
  });

describe('the simulated Canvas LTI token endpoint', () => {
  it('issues a one-hour Bearer token for the broker’s signed assertion, over a real socket', async () => {
    const mint = makeLtiAdvantageMinter({
      client: brokerClient(),
      signer: tool,
      claims: makeLtiAssertionClaims({ clock: { now: () => base } }),
    });
    const issued = await mint({ clientId: CLIENT_ID, scopes: [NRPS, AGS_SCORE] });
    expect(issued.scopes).toEqual([AGS_SCORE, NRPS]);
    expect(issued.expiresAt - issued.issuedAt).toBe(3_600_000);
    expect(lti.issued(issued.token)).toEqual({
      clientId: CLIENT_ID,
      scopes: [AGS_SCORE, NRPS],
      iat: NOW_S,
      exp: NOW_S + 3600,
    });
    expect(costs).toEqual([LTI_TOKEN_EXTRA_COST]);
    // A refused request costs nothing extra.
    await post(grant(await stranger.sign(claimsFor())));
    expect(costs).toEqual([LTI_TOKEN_EXTRA_COST, 0]);
  });

  it('answers exactly Canvas’s success body: access_token, token_type, expires_in, scope in request order', async () => {
    const answer = await post(grant(await tool.sign(claimsFor()), `${NRPS} ${AGS_SCORE}`));
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(answer.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: `${NRPS} ${AGS_SCORE}`,
    });
  });

  it('verifies against the tool’s JWKS URL, fetched on every request, through a rotation overlap', async () => {
    expect((await post(grant(await tool.sign(claimsFor(URL_CLIENT_ID))))).status).toBe(200);
    // An assertion signed by the previous key still verifies while the JWKS lists it.
    expect((await post(grant(await previous.sign(claimsFor(URL_CLIENT_ID))))).status).toBe(200);
    // Once the overlap ends, the old key no longer verifies.
    jwksBody = () => ({
      status: 200,
      type: 'application/json',
      body: buildJwksResponse({ current: toolJwk }).body,
    });
    const late = await post(grant(await previous.sign(claimsFor(URL_CLIENT_ID))));
    expect(late).toMatchObject({ status: 400, body: invalidRequest('JWS signature invalid.') });
  });

  it('says "JWK Error: Invalid JSON" when the JWKS URL does not answer JSON', async () => {
    jwksBody = () => ({ status: 404, type: 'text/html', body: '<html>not found</html>' });
    const answer = await post(grant(await tool.sign(claimsFor(URL_CLIENT_ID))));
    expect(answer).toMatchObject({ status: 400, body: invalidRequest('JWK Error: Invalid JSON') });
  });

  it('says "JWS signature invalid." when the JWKS URL cannot be fetched', async () => {
    lti.registerKey({ ...keyWithUrl(), publicJwkUrl: 'http://[not-a-host/jwks.json' });
    const answer = await post(grant(await tool.sign(claimsFor(URL_CLIENT_ID))));
    expect(answer).toMatchObject({ status: 400, body: invalidRequest('JWS signature invalid.') });
  });

  it('refuses an assertion signed by another key, or with HS256, as "JWS signature invalid."', async () => {
    expect(await post(grant(await stranger.sign(claimsFor())))).toMatchObject({
      status: 400,
      body: invalidRequest('JWS signature invalid.'),
    });
    const hs256 = await new SignJWT(claimsFor())
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new Uint8Array(32).fill(1));
    expect(await post(grant(hs256))).toMatchObject({
      status: 400,
      body: invalidRequest('JWS signature invalid.'),
    });
  });

  it('answers 401 invalid_client with WWW-Authenticate for an unknown, non-integer or inactive client id', async () => {
    lti.registerKey({ ...keyWithJwk(), clientId: '10000000000099', active: false });
    for (const clientId of ['10000000000077', 'not-a-number', '10000000000099']) {
      const answer = await post(grant(await tool.sign(claimsFor(clientId))));
      expect(answer).toMatchObject({
        status: 401,
        body: { error: 'invalid_client', error_description: 'unknown client' },
      });
      expect(answer.headers.get('www-authenticate')).toBe('Canvas OAuth 2.0');
    }
  });

  it('checks aud: the token URL or a configured extra audience, a string or an array', async () => {
    for (const aud of [tokenUrl(), [tokenUrl(), 'https://other'], 'sso.canvaslms.test']) {
      expect((await post(grant(await tool.sign(claimsFor(CLIENT_ID, { aud }))))).status).toBe(200);
    }
    const wrong = await post(
      grant(await tool.sign(claimsFor(CLIENT_ID, { aud: 'https://canvas.example.edu/login/oauth2/token' }))),
    );
    expect(wrong).toMatchObject({ status: 400, body: invalidRequest("the 'aud' is invalid") });
  });

  it('checks exp and the iat window against the simulator clock, reporting every failure at once', async () => {
    const expired = await post(
      grant(await tool.sign(claimsFor(CLIENT_ID, { iat: NOW_S - 400, exp: NOW_S - 1 }))),
    );
    expect(expired).toMatchObject({
      status: 400,
      body: invalidRequest("the JWT has expired | the 'iat' must be less than 300 seconds old"),
    });
    const future = await post(grant(await tool.sign(claimsFor(CLIENT_ID, { iat: NOW_S + 31 }))));
    expect(future).toMatchObject({
      status: 400,
      body: invalidRequest("the 'iat' must not be in the future"),
    });
    // Canvas allows 30 s of clock drift ahead.
    expect((await post(grant(await tool.sign(claimsFor(CLIENT_ID, { iat: NOW_S + 30 }))))).status).toBe(200);
  });

  it('moves with the simulator clock: an assertion that was fine goes stale after five minutes', async () => {
    const assertion = await tool.sign(claimsFor(CLIENT_ID, { exp: NOW_S + 3600 }));
    base += 301_000;
    expect(await post(grant(assertion))).toMatchObject({
      status: 400,
      body: invalidRequest("the 'iat' must be less than 300 seconds old"),
    });
  });

  it('lists missing assertions the way Canvas does, iss included', async () => {
    const { jti: _jti, iss: _iss, ...rest } = claimsFor();
    expect(await post(grant(await tool.sign(rest)))).toMatchObject({
      status: 400,
      body: invalidRequest('the following assertions are missing: jti,iss'),
    });
  });

  it('refuses a replayed jti by default, and accepts it when told to behave like current Canvas', async () => {
    const claims = claimsFor();
    expect((await post(grant(await tool.sign(claims)))).status).toBe(200);
    expect(await post(grant(await tool.sign(claims)))).toMatchObject({
      status: 400,
      body: invalidRequest("the 'jti' is invalid"),
    });
    served = makeLtiTokenState({ rejectReplayedJti: false, keys: [keyWithJwk()] });
    const replayed = claimsFor();
    expect((await post(grant(await tool.sign(replayed)))).status).toBe(200);
    expect((await post(grant(await tool.sign(replayed)))).status).toBe(200);
  });

  it('answers invalid_scope for a scope the developer key does not allow, naming it, and for no scope', async () => {
    const answer = await post(grant(await tool.sign(claimsFor()), `${NRPS} ${AGS_LINEITEM}`));
    expect(answer).toMatchObject({
      status: 400,
      body: {
        error: 'invalid_scope',
        error_description:
          'A requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner. ' +
          `The following scopes were requested, but not granted: ${AGS_LINEITEM}`,
      },
    });
    expect((await post(grant(await tool.sign(claimsFor()), ''))).body.error).toBe('invalid_scope');
  });

  it('answers unsupported_grant_type, and invalid_client without the jwt-bearer assertion type', async () => {
    const assertion = await tool.sign(claimsFor());
    expect(await post({ ...grant(assertion), grant_type: 'password' })).toMatchObject({
      status: 400,
      body: {
        error: 'unsupported_grant_type',
        error_description: 'The grant_type you requested is not currently supported',
      },
    });
    const { client_assertion_type: _type, ...noType } = grant(assertion);
    expect((await post(noType)).status).toBe(401);
  });

  it('answers a malformed assertion with 400 invalid_request, never a crash', async () => {
    for (const assertion of ['', 'not-a-jwt', 'a.b.c', '....']) {
      expect((await post(grant(assertion))).status).toBe(400);
    }
  });

  it('is read by the broker’s client as Canvas is: unknown key → credentials rejected, bad scope → fatal', async () => {
    const mint = (signer: AssertionSigner, clientId: string, scopes: string[]) =>
      makeLtiAdvantageMinter({
        client: brokerClient(),
        signer,
        claims: makeLtiAssertionClaims({ clock: { now: () => base } }),
      })({ clientId, scopes }).catch((error: unknown) => error);
    expect(await mint(tool, '10000000000077', [NRPS])).toBeInstanceOf(CredentialsRejectedError);
    expect(await mint(stranger, CLIENT_ID, [NRPS])).toBeInstanceOf(CredentialsRejectedError);
    expect(await mint(tool, CLIENT_ID, [AGS_LINEITEM])).toBeInstanceOf(UpstreamFatalError);
    expect(lti.counts).toEqual({ minted: 0, refused: 3 });
  });
});
