import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeSigV4Verifier } from '../../../dev/local/sigv4-verifier.ts';
import { type LocalApi, startLocalApi } from '../../../dev/local/start-local-api.ts';
import { runCli } from '../../../packages/client/src/run-cli.ts';
import { fingerprint } from '../../../shared/core/fingerprint.ts';

const KEY = {
  accessKeyId: 'AKIACLITEST000000001',
  secretAccessKey: 'cli-test-secret-000000000000000000000001',
};
const TOKEN = 'cli-test-token-value-0001';

const bodies: unknown[] = [];
let answer: APIGatewayProxyResult | undefined;

const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  bodies.push(event.body === null ? null : JSON.parse(event.body));
  return (
    answer ?? {
      statusCode: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        token: TOKEN,
        tokenType: 'Bearer',
        expiresAt: '2030-01-01T00:00:00.000Z',
        expiresIn: 3500,
        credentialId: event.pathParameters?.id,
        kind: 'identity-service',
        fingerprint: fingerprint(TOKEN),
      }),
    }
  );
};

let api: LocalApi;
let home: string;
const outputs: string[] = [];

beforeAll(async () => {
  api = await startLocalApi({
    handler,
    verifier: makeSigV4Verifier({ credentials: KEY, region: 'us-east-1', clock: { now: () => Date.now() } }),
    port: 0,
  });
  home = await mkdtemp(join(tmpdir(), 'cli-home-'));
  await writeFile(
    join(home, 'credentials.json'),
    JSON.stringify({ ...KEY, region: 'us-east-1', endpoint: api.url }),
    { mode: 0o600 },
  );
});
afterAll(async () => {
  await api.stop();
  await rm(home, { recursive: true, force: true });
});
afterEach(() => {
  bodies.length = 0;
  answer = undefined;
  vi.unstubAllEnvs();
});

const run = async (argv: string[], env: Record<string, string | undefined> = { BROKER_HOME: home }) => {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env,
    cwd: tmpdir(),
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  outputs.push(stdout, stderr);
  return { code, stdout, stderr };
};

describe('runCli (npm run token)', () => {
  it("prints only the token, signed with local mode's credentials file", async () => {
    expect(await run(['dap'])).toEqual({ code: 0, stdout: `${TOKEN}\n`, stderr: '' });
    expect(bodies).toEqual([{}]);
  });

  it('prints the whole answer with --json', async () => {
    const { code, stdout } = await run(['dap', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ token: TOKEN, credentialId: 'dap', expiresIn: 3500 });
  });

  it('sends --min-ttl and --params to the broker', async () => {
    await run(['canvas-jwt', '--min-ttl', '600', '--params', '{"canvasAudience":false}']);
    expect(bodies).toEqual([{ minTtlSeconds: 600, params: { canvasAudience: false } }]);
  });

  it('sends --scopes as params.scopes, split on whitespace (canvas-token lti --scopes "...")', async () => {
    const nrps = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';
    const score = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';
    await run(['lti', '--scopes', `${score}  ${nrps}`, '--min-ttl', '60']);
    expect(bodies).toEqual([{ minTtlSeconds: 60, params: { scopes: [score, nrps] } }]);
  });

  it('signs with the default AWS credentials when given --endpoint', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', KEY.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', KEY.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_PROFILE', '');
    const result = await run(['dap', '--endpoint', api.url, '--region', 'us-east-1'], {});
    expect(result).toEqual({ code: 0, stdout: `${TOKEN}\n`, stderr: '' });
  });

  it('takes the endpoint from BROKER_ENDPOINT before the local file', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', KEY.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', KEY.secretAccessKey);
    // A caller's profile would win over the keys above in the default chain.
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_PROFILE', '');
    const result = await run(['dap'], {
      BROKER_ENDPOINT: 'http://127.0.0.1:1',
      AWS_REGION: 'us-east-1',
      BROKER_HOME: home,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^token: NETWORK_ERROR: Could not reach the broker at http:\/\/127\.0\.0\.1:1\.\n$/,
    );
    expect(bodies).toHaveLength(0);
  });

  it.each([
    [[], /expected exactly one credential id/],
    [['dap', 'inst-access'], /expected exactly one credential id/],
    [['dap', '--bogus'], /Unknown option '--bogus'/],
    [['dap', '--min-ttl', 'soon'], /--min-ttl must be a whole number/],
    [['dap', '--params', '[1]'], /--params must be a JSON object/],
    [['dap', '--params', '{'], /--params must be a JSON object/],
    [['Not-An-Id'], /credentialId must be/],
    [['lti', '--scopes', '  '], /--scopes must name at least one scope/],
    [['lti', '--scopes', 'a', '--params', '{"scopes":["b"]}'], /not both/],
  ])('exits 2 with one line on stderr for bad usage %j', async (argv, message) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr.startsWith('token: ')).toBe(true);
  });

  it('exits 2 and says how to get an endpoint when there is none', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'cli-empty-'));
    const { code, stderr } = await run(['dap'], { BROKER_HOME: empty });
    await rm(empty, { recursive: true, force: true });
    expect(code).toBe(2);
    expect(stderr).toMatch(/no broker endpoint: pass --endpoint, set BROKER_ENDPOINT, or start local mode/);
  });

  it('exits 2 on a damaged credentials file without quoting it', async () => {
    const damaged = await mkdtemp(join(tmpdir(), 'cli-damaged-'));
    await mkdir(damaged, { recursive: true });
    await writeFile(join(damaged, 'credentials.json'), '{"secretAccessKey":"leaky-partial-secret"');
    const { code, stderr } = await run(['dap'], { BROKER_HOME: damaged });
    await rm(damaged, { recursive: true, force: true });
    expect(code).toBe(2);
    expect(stderr).toMatch(/is not a local credentials file/);
    expect(stderr).not.toContain('leaky-partial-secret');
  });

  it("exits 1 with the broker's code, status and request id on one line", async () => {
    answer = {
      statusCode: 503,
      headers: { 'Content-Type': 'application/json', 'Retry-After': '9' },
      body: JSON.stringify({
        error: { code: 'TOKEN_UNAVAILABLE', message: 'Try later.', requestId: 'req-123' },
      }),
    };
    const { code, stdout, stderr } = await run(['dap']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'token: TOKEN_UNAVAILABLE: Try later. (HTTP 503, retry after 9 s, request req-123)\n',
    );
  });

  it('exits 1 and hints at local mode when its endpoint is down', async () => {
    const down = await mkdtemp(join(tmpdir(), 'cli-down-'));
    await writeFile(
      join(down, 'credentials.json'),
      JSON.stringify({ ...KEY, region: 'us-east-1', endpoint: 'http://127.0.0.1:1' }),
    );
    const { code, stderr } = await run(['dap'], { BROKER_HOME: down });
    await rm(down, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^token: NETWORK_ERROR: .*\(is local mode running\?/);
  });

  it('prints its usage with --help', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: canvas-token <credential>/);
  });

  it('prints the version it was given with --version, and asks the broker nothing', async () => {
    let stdout = '';
    const code = await runCli(['--version'], {
      env: {},
      cwd: tmpdir(),
      stdout: (text) => {
        stdout += text;
      },
      stderr: () => {},
      version: '9.8.7',
      fetch: () => Promise.reject(new Error('no request expected')),
    });
    expect(code).toBe(0);
    expect(stdout).toBe('9.8.7\n');
  });

  it('never printed the secret key', () => {
    expect(outputs.join('\n')).not.toContain(KEY.secretAccessKey);
  });
});
