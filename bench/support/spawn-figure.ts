import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FIGURE_PLAN, type FigureId, type FigureResult, RESULT_PREFIX } from './figure-plan.ts';

const RUNNER = fileURLToPath(new URL('./run-figure.ts', import.meta.url));
/** `--import tsx` resolves tsx from the working directory: the project root, whatever the caller's. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type FigureOutcome =
  | { readonly ok: true; readonly result: FigureResult & Record<string, unknown>; readonly seconds: number }
  | { readonly ok: false; readonly error: string; readonly seconds: number };

/** Runs one figure in a child process (through tsx), bounded by the figure's timeout. */
export const spawnFigure = (id: FigureId): Promise<FigureOutcome> =>
  new Promise((resolve) => {
    const started = performance.now();
    const seconds = () => Math.round((performance.now() - started) / 100) / 10;
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, id], {
      cwd: ROOT,
      // The SDK's notice that its 2027 releases need Node 22 says nothing about these figures.
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, FIGURE_PLAN[id].timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (line) {
        resolve({ ok: true, result: JSON.parse(line.slice(RESULT_PREFIX.length)), seconds: seconds() });
      } else {
        const why = timedOut
          ? `timed out after ${FIGURE_PLAN[id].timeoutMs / 1000} s`
          : `exited with ${code}`;
        resolve({ ok: false, error: why, seconds: seconds() });
      }
    });
  });
