import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BrokerClientError, type BrokerToken, makeBrokerClient } from '@canvas-credential-broker/client';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalBroker, startLocalBroker } from '../../../dev/local/start-local-broker.ts';
import { fingerprint } from '../../../shared/core/fingerprint.ts';
import { findCanaryLeaks, makeCapturingLogger, registerCanary } from '../../support/canary.ts';
import { childEnv } from '../../support/child-env.ts';
import { signedFetch } from './support/signed-fetch.ts';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const OUTSIDER = {
  accessKeyId: 'AKIAOUTSIDER00000001',
  secretAccessKey: 'outsider-secret-000000000000000000000001',
  principalArn: 'arn:aws:iam::000000000000:user/outsider',
};

const logger = makeCapturingLogger();
const received: string[] = [];
let home: string;
let broker: LocalBroker;

const clientFor = (b: LocalBroker, extra: Partial<Parameters<typeof makeBrokerClient>[0]> = {}) =>
  makeBrokerClient({ endpoint: b.url, region: b.region, credentials: b.credentials, ...extra });

const keep = (token: BrokerToken): BrokerToken => {
  registerCanary(token.token);
  received.push(token.token);
  return token;
};

const caught = async (promise: Promise<unknown>): Promise<BrokerClientError> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(BrokerClientError);
    return error as BrokerClientError;
  }
  throw new Error('expected a BrokerClientError');
};

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'broker-home-'));
  broker = await startLocalBroker({ home, port: 0, additionalKeys: [OUTSIDER], logger });
});

afterAll(async () => {
  await broker?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('local mode, end to end', () => {
  it('listens on loopback and writes the local credentials file, private, with its endpoint', async () => {
    expect(broker.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(broker.configSource).toBe('simulator');
    expect(broker.credentialIds).toEqual(['dap', 'canvas-jwt', 'inst-access', 'lti']);
    const file = JSON.parse(await readFile(broker.credentialsPath, 'utf8')) as Record<string, string>;
    expect(Object.keys(file).sort()).toEqual(['accessKeyId', 'endpoint', 'region', 'secretAccessKey']);
    expect(file).toMatchObject({ endpoint: broker.url, region: 'us-east-1' });
    expect(file.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    for (const path of [broker.credentialsPath, broker.secretsPath, join(home, 'envelope.key')]) {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    }
    expect((await stat(home)).mode & 0o777).toBe(0o700);
  });

  it('serves all three token kinds to a signed client', async () => {
    const client = clientFor(broker);
    const dap = keep(await client.getToken('dap', { minTtlSeconds: 60 }));
    const jwt = keep(await client.getToken('canvas-jwt'));
    const readable = keep(await client.getToken('canvas-jwt', { params: { canvasAudience: false } }));
    const inst = keep(await client.getToken('inst-access'));
    expect([dap.kind, jwt.kind, readable.kind, inst.kind]).toEqual([
      'identity-service',
      'canvas-jwt',
      'canvas-jwt',
      'inst-access',
    ]);
    for (const token of [dap, jwt, readable, inst]) {
      expect(token.fingerprint).toBe(fingerprint(token.token));
      expect(token.expiresIn).toBeGreaterThan(60);
      expect(token.tokenType).toBe('Bearer');
    }
    expect(jwt.fingerprint).not.toBe(readable.fingerprint);
    expect(broker.simulator?.stats()['ids-login']).toBe(1);
  });

  it('serves the demo lti credential for the standard AGS and NRPS scopes, signed by its local key', async () => {
    const client = clientFor(broker);
    const nrps = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';
    const score = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';
    const lti = keep(await client.getToken('lti', { params: { scopes: [score, nrps] } }));
    expect(lti.kind).toBe('lti-advantage');
    expect(decodeJwt(lti.token).scopes).toBe([nrps, score].sort().join(' '));
    const denied = await caught(
      client.getToken('lti', {
        params: { scopes: ['https://purl.imsglobal.org/spec/lti/scope/noticehandlers'] },
      }),
    );
    expect([denied.status, denied.code]).toEqual([403, 'POLICY_DENIED']);
    expect(broker.simulator?.stats()['lti-token']).toBe(1);
  });

  it('serves the JWKS unsigned at /.well-known/jwks.json: public keys only, cacheable, and the key that signs', async () => {
    const res = await fetch(`${broker.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const jwks = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(Object.keys(jwks.keys[0]!).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    const etag = res.headers.get('etag') ?? '';
    expect(
      (await fetch(`${broker.url}/.well-known/jwks.json`, { headers: { 'if-none-match': etag } })).status,
    ).toBe(304);
    expect((await fetch(`${broker.url}/.well-known/jwks.json`, { method: 'POST' })).status).toBe(405);
    expect(await stat(join(broker.home, 'lti-signing-key.pem')).then((s) => s.mode & 0o777)).toBe(0o600);
  });

  it('refuses an unsigned request with 403 Missing Authentication Token', async () => {
    const answer = await signedFetch(broker.url, '/v1/credentials/dap/token', broker.credentials, {
      body: '{}',
      unsigned: true,
    });
    expect(answer.status).toBe(403);
    expect(answer.json).toEqual({ message: 'Missing Authentication Token' });
  });

  it('refuses a request signed with the wrong secret', async () => {
    const wrong = { accessKeyId: broker.credentials.accessKeyId, secretAccessKey: OUTSIDER.secretAccessKey };
    const error = await caught(clientFor(broker, { credentials: wrong }).getToken('dap'));
    expect(error).toMatchObject({ code: 'GATEWAY_REJECTED', status: 403 });
    expect(error.message).toMatch(/^The request signature we calculated does not match/);
  });

  it('refuses a request signed more than 5 minutes ago', async () => {
    const past = { now: () => Date.now() - 6 * 60_000 };
    const error = await caught(clientFor(broker, { clock: past }).getToken('dap'));
    expect(error).toMatchObject({ code: 'GATEWAY_REJECTED', status: 403 });
    expect(error.message).toMatch(/^Signature expired: /);
  });

  it('denies a validly signed caller the policy does not list', async () => {
    const outsider = clientFor(broker, { credentials: OUTSIDER });
    const error = await caught(outsider.getToken('dap'));
    expect(error).toMatchObject({ code: 'POLICY_DENIED', status: 403 });
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown credential exactly like a forbidden one', async () => {
    const error = await caught(clientFor(broker).getToken('no-such-credential'));
    expect(error).toMatchObject({ code: 'POLICY_DENIED', status: 403 });
  });

  it('refuses a malformed body with 400', async () => {
    const answer = await signedFetch(broker.url, '/v1/credentials/dap/token', broker.credentials, {
      body: '{"minTtlSeconds":',
    });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });

  it('refuses an oversized body with 413, at the broker and at the gateway', async () => {
    const overBroker = await signedFetch(broker.url, '/v1/credentials/dap/token', broker.credentials, {
      body: JSON.stringify({ minTtlSeconds: 1, params: { pad: 'x'.repeat(10_000) } }),
    });
    expect(overBroker.status).toBe(413);
    expect(overBroker.json).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    const overGateway = await signedFetch(broker.url, '/v1/credentials/dap/token', broker.credentials, {
      body: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(overGateway.status).toBe(413);
    expect(overGateway.json).toEqual({ message: 'Request Too Long' });
  });

  it('refuses an impossible minTtlSeconds with 422, and an out-of-range one with 400', async () => {
    const client = clientFor(broker);
    expect(await caught(client.getToken('dap', { minTtlSeconds: 7200 }))).toMatchObject({
      code: 'MIN_TTL_UNSATISFIABLE',
      status: 422,
    });
    expect(await caught(client.getToken('dap', { minTtlSeconds: 100_000 }))).toMatchObject({
      code: 'BAD_REQUEST',
      status: 400,
    });
  });

  it('serves the CLI, run as a child process against this instance', async () => {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'packages/client/src/cli.ts', 'dap'],
      { cwd: REPO, env: childEnv({ BROKER_HOME: home }), timeout: 60_000 },
    );
    const token = stdout.trim();
    registerCanary(token);
    expect(stdout.endsWith('\n')).toBe(true);
    expect(token.split('\n')).toHaveLength(1);
    expect(fingerprint(token)).toBe(fingerprint(received[0]!));
    expect(stderr).not.toContain(token);
  });

  it('keeps tokens and keys across a restart: the persisted token is served without a new mint', async () => {
    const before = await clientFor(broker).getToken('dap');
    const keyId = broker.credentials.accessKeyId;
    await broker.stop();
    broker = await startLocalBroker({ home, port: 0, additionalKeys: [OUTSIDER], logger });
    expect(broker.credentials.accessKeyId).toBe(keyId);
    const after = await clientFor(broker).getToken('dap');
    expect(after.fingerprint).toBe(before.fingerprint);
    expect(broker.simulator?.stats()['ids-login']).toBe(0);
  });

  it('never wrote a token into its logs', () => {
    expect(logger.entries.length).toBeGreaterThan(0);
    expect(findCanaryLeaks(logger.lines(), received)).toEqual([]);
  });
});

describe('local mode configuration', () => {
  const withHome = async (run: (dir: string) => Promise<void>): Promise<void> => {
    const dir = await mkdtemp(join(tmpdir(), 'broker-config-'));
    try {
      await run(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('uses real Instructure URLs when given, without a simulator, and names the secrets still missing', async () => {
    await withHome(async (dir) => {
      const local = await startLocalBroker({
        home: dir,
        port: 0,
        identityUrl: 'https://api-gateway.instructure.com',
        canvasUrl: 'https://canvas.example.edu',
      });
      try {
        expect(local.configSource).toBe('environment');
        expect(local.simulator).toBeUndefined();
        expect(local.missingSecrets).toEqual(['instructure/identity', 'instructure/canvas']);
      } finally {
        await local.stop();
      }
    });
  });

  it("serves the user's config.json instead of the demo credentials", async () => {
    await withHome(async (dir) => {
      await writeFile(
        join(dir, 'config.json'),
        JSON.stringify({
          credentials: [
            { id: 'reports', kind: 'inst-access', secretId: 'mine', baseUrl: 'https://canvas.example.edu' },
          ],
          callers: [
            { principals: ['arn:aws:iam::000000000000:user/local-developer'], credentials: ['reports'] },
          ],
        }),
      );
      const local = await startLocalBroker({ home: dir, port: 0 });
      try {
        expect(local.configSource).toBe('config-file');
        expect(local.credentialIds).toEqual(['reports']);
        expect(local.simulator).toBeUndefined();
        expect(local.missingSecrets).toEqual(['mine']);
      } finally {
        await local.stop();
      }
    });
  });

  it('fails to start on an invalid config.json, naming the field, and leaves nothing running', async () => {
    await withHome(async (dir) => {
      await writeFile(join(dir, 'config.json'), JSON.stringify({ credentials: [], callers: [] }));
      await expect(startLocalBroker({ home: dir, port: 0 })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
      });
      // The store was never opened, so a second start is not locked out.
      await writeFile(
        join(dir, 'config.json'),
        JSON.stringify({
          credentials: [
            { id: 'x', kind: 'inst-access', secretId: 's', baseUrl: 'https://canvas.example.edu' },
          ],
          callers: [],
        }),
      );
      const local = await startLocalBroker({ home: dir, port: 0 });
      await local.stop();
    });
  });
});
