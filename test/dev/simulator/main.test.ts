import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatorSeeds } from '../../../dev/simulator/index.ts';
import { childEnv } from '../../support/child-env.ts';
import { call } from './sim-test-kit.ts';

const ROOT = new URL('../../../', import.meta.url);
/**
 * The tsx binary that `npm run simulator` executes. Spawned directly because npm 11 (npx and
 * `npm run`) neither forwards SIGTERM to its child nor keeps stdout clean (`npm run` prints its
 * banner first), so only the simulator process itself can show the exit code and the first line.
 */
const TSX = fileURLToPath(new URL('node_modules/.bin/tsx', ROOT));

let child: ChildProcess | undefined;
afterEach(() => {
  // Safety net only: each test ends its own child with a signal and waits for the exit.
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

const startChild = async (): Promise<{ process: ChildProcess; seeds: SimulatorSeeds; firstLine: string }> => {
  const started = spawn(TSX, ['dev/simulator/main.ts', '--port', '0'], {
    cwd: ROOT,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  started.stderr?.resume();
  if (!started.stdout) throw new Error('no stdout');
  const lines = createInterface({ input: started.stdout });
  const [firstLine] = (await Promise.race([
    once(lines, 'line'),
    once(started, 'exit').then(([code]) => {
      throw new Error(`simulator exited early with ${String(code)}`);
    }),
  ])) as [string];
  return { process: started, seeds: JSON.parse(firstLine) as SimulatorSeeds, firstLine };
};

describe('the standalone simulator (dev/simulator/main.ts)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'prints the seeds as the first stdout line, serves them, and exits 0 on %s',
    async (signal) => {
      const { process: simulator, seeds, firstLine } = await startChild();
      expect(firstLine.trim().startsWith('{')).toBe(true);
      expect(seeds).toEqual({
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        identity: { clientId: expect.any(String), clientSecret: expect.any(String) },
        canvas: { accessToken: expect.any(String), userId: 1 },
      });
      const res = await call(seeds.url, '/api/v1/users/self', { token: seeds.canvas.accessToken });
      expect(res.status).toBe(200);
      const exited = once(simulator, 'exit');
      simulator.kill(signal);
      const [code, signalCode] = await exited;
      expect({ code, signalCode }).toEqual({ code: 0, signalCode: null });
    },
  );

  it('exits 2 when --port is not a port', async () => {
    const refused = spawn(TSX, ['dev/simulator/main.ts', '--port', 'eighty'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    child = refused;
    const [code] = await once(refused, 'exit');
    expect(code).toBe(2);
  });

  const runToExit = async (args: readonly string[]) => {
    const ran = spawn(TSX, ['dev/simulator/main.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = ran;
    let stdout = '';
    let stderr = '';
    ran.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    ran.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const [code] = (await once(ran, 'exit')) as [number | null];
    return { code, stdout, stderr };
  };

  it('prints its usage with --help and exits 0 without starting a server', async () => {
    const { code, stdout } = await runToExit(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: npm run -s simulator -- \[--port <port>\]/);
    expect(stdout).not.toContain('{');
  });

  it('exits 2 on an option it does not know, naming it', async () => {
    const { code, stdout, stderr } = await runToExit(['--prot', '80']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^simulator: .*--prot.*\(see --help\)/);
  });
});
