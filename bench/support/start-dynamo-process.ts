import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface DynamoProcess {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./dynamo-child.ts', import.meta.url));
/** `--import tsx` resolves tsx from the working directory: the project root, whatever the caller's. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/** Starts dynalite (in memory) in a child process on loopback and waits for its endpoint. */
export const startDynamoProcess = async (): Promise<DynamoProcess> => {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill(), START_TIMEOUT_MS);
  let endpoint: string | undefined;
  try {
    for await (const line of lines) {
      endpoint = (JSON.parse(line) as { endpoint?: string }).endpoint;
      if (endpoint) break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (!endpoint || child.pid === undefined) throw new Error('dynalite child did not start');
  const pid = child.pid;
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    pid,
    stop: () => {
      stopped ??= (async () => {
        child.stdin.end();
        const deadline = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(deadline);
      })();
      return stopped;
    },
  };
};
