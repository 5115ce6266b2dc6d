import { type ChildProcess, spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];
const homes: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const home of homes.splice(0)) await rm(home, { recursive: true, force: true });
});

/** Starts `npm start`'s entry on a free port in a fresh BROKER_HOME and waits for its banner. */
const startMain = async (): Promise<{
  child: ChildProcess;
  home: string;
  banner: string;
  exited: Promise<number | null>;
}> => {
  const home = await mkdtemp(join(tmpdir(), 'broker-main-'));
  homes.push(home);
  const child = spawn(process.execPath, ['--import', 'tsx', 'shared/local/main.ts'], {
    cwd: REPO,
    env: {
      ...process.env,
      BROKER_HOME: home,
      BROKER_PORT: '0',
      BROKER_IDENTITY_URL: '',
      BROKER_CANVAS_URL: '',
    },
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

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

describe('npm start (shared/local/main.ts)', () => {
  it('prints where it listens and how to fetch a token', async () => {
    const { child, home, banner, exited } = await startMain();
    const { endpoint } = JSON.parse(await readFile(join(home, 'credentials.json'), 'utf8')) as {
      endpoint: string;
    };
    expect(banner).toContain(`listening on ${endpoint}`);
    expect(banner).toContain(`BROKER_HOME=${home} npm run token -- dap`);
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
});
