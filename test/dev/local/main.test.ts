import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBrokerClient } from '@canvas-credential-broker/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalCredentials } from '../../../dev/local/local-credentials-file.ts';
import { registerCanary } from '../../support/canary.ts';
import { childEnv } from '../../support/child-env.ts';
import { signedFetch } from './support/signed-fetch.ts';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const children: ChildProcess[] = [];
const homes: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const home of homes.splice(0)) await rm(home, { recursive: true, force: true });
});

/** Starts `npm start`'s entry on a free port in a fresh BROKER_HOME and waits for its banner. */
const startMain = async (
  givenHome?: string,
): Promise<{
  child: ChildProcess;
  home: string;
  banner: string;
  exited: Promise<number | null>;
}> => {
  const home = givenHome ?? (await mkdtemp(join(tmpdir(), 'broker-main-')));
  if (givenHome === undefined) homes.push(home);
  const child = spawn(process.execPath, ['--import', 'tsx', 'dev/local/main.ts'], {
    cwd: REPO,
    env: childEnv({ BROKER_HOME: home, BROKER_PORT: '0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let banner = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('local mode did not start within 60 s')), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      banner += chunk.toString('utf8');
      if (banner.includes('Stop with Ctrl-C.')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local mode exited early with ${code}`));
    });
  });
  child.stderr!.resume();
  return { child, home, banner, exited };
};

/** Runs main.ts to its exit on `home` (expected to fail), with its exit code and stderr. */
const runMainToExit = (home: string): Promise<{ code: number | null; stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/local/main.ts'], {
      cwd: REPO,
      env: childEnv({ BROKER_HOME: home, BROKER_PORT: '0' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => reject(new Error('the second start did not exit within 60 s')), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });

/** Every file under `dir`, by relative path, with its SHA-256. */
const hashTree = async (dir: string): Promise<Record<string, string>> => {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path.slice(dir.length + 1)] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return out;
};

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

describe('npm start (dev/local/main.ts)', () => {
  it('prints where it listens and how to fetch a token', async () => {
    const { child, home, banner, exited } = await startMain();
    const { endpoint } = JSON.parse(await readFile(join(home, 'credentials.json'), 'utf8')) as {
      endpoint: string;
    };
    expect(banner).toContain(`listening on ${endpoint}`);
    expect(banner).toContain(`BROKER_HOME=${home} npm run -s token -- dap`);
    const { secretAccessKey } = JSON.parse(await readFile(join(home, 'credentials.json'), 'utf8')) as {
      secretAccessKey: string;
    };
    expect(banner).not.toContain(secretAccessKey);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'stops cleanly on %s and exits 0, releasing the store',
    async (signal) => {
      const { child, home, exited } = await startMain();
      expect(await exists(join(home, 'dynamodb', 'embedded-dynamo.pid'))).toBe(true);
      child.kill(signal);
      expect(await exited).toBe(0);
      expect(await exists(join(home, 'dynamodb', 'embedded-dynamo.pid'))).toBe(false);
    },
  );

  it('refuses a second start on a running home: non-zero exit, a clear message, every file unchanged, the first still mints', async () => {
    const first = await startMain();
    const credentials = JSON.parse(
      await readFile(join(first.home, 'credentials.json'), 'utf8'),
    ) as LocalCredentials;
    const client = makeBrokerClient({
      endpoint: credentials.endpoint,
      region: credentials.region,
      credentials,
    });
    const before = await client.getToken('dap');
    registerCanary(before.token);
    const files = await hashTree(first.home);
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining(['broker.lock', 'secrets.json', 'credentials.json']),
    );

    const second = await runMainToExit(first.home);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(
      `BROKER_HOME ${first.home} is in use by another local broker (process ${first.child.pid})`,
    );
    expect(await hashTree(first.home)).toEqual(files);

    // The first instance's secrets are still the ones its simulator knows: a purge forces a new
    // mint, and it succeeds (it used to fail with UPSTREAM_FATAL, 401 Invalid client credentials).
    const purge = await signedFetch(credentials.endpoint, '/v1/credentials/dap/token', credentials, {
      method: 'DELETE',
    });
    expect(purge.status).toBe(200);
    const fresh = makeBrokerClient({
      endpoint: credentials.endpoint,
      region: credentials.region,
      credentials,
    });
    const after = await fresh.getToken('dap');
    registerCanary(after.token);
    expect(after.fingerprint).not.toBe(before.fingerprint);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(await exists(join(first.home, 'broker.lock'))).toBe(false);
  });

  it('takes over the lock a crashed broker left behind', async () => {
    const first = await startMain();
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await exists(join(first.home, 'broker.lock'))).toBe(true);
    const second = await startMain(first.home);
    const lock = JSON.parse(await readFile(join(first.home, 'broker.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(second.child.pid);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
