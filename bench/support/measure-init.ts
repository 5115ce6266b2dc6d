import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export interface InitSample {
  /** Wall time of the import. */
  readonly ms: number;
  /** CPU time (user + system) this process spent during the import: steadier on a busy machine. */
  readonly cpuMs: number;
  /** Sockets, fetches and DNS lookups attempted during the import (init must make none). */
  readonly network: number;
  readonly error?: string;
}

/**
 * Runs in a fresh `node`: counts network attempts, then times one dynamic import of the module,
 * i.e. module evaluation plus the function's own cold-start code (env parsing, composition).
 */
const PROBE = `
import net from 'node:net';
import dns from 'node:dns';
let network = 0;
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) { network++; return connect.apply(this, args); };
const lookup = dns.lookup;
dns.lookup = function (...args) { network++; return lookup.apply(this, args); };
const realFetch = globalThis.fetch;
globalThis.fetch = (...args) => { network++; return realFetch(...args); };
let error;
const cpu = process.cpuUsage();
const start = process.hrtime.bigint();
try {
  await import(process.env.BENCH_INIT_MODULE);
} catch (e) {
  error = String(e && (e.code || e.name) || 'error');
}
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const used = process.cpuUsage(cpu);
const cpuMs = (used.user + used.system) / 1000;
process.stdout.write(JSON.stringify({ ms, cpuMs, network, error }) + '\\n');
process.exit(0);
`;

const TIMEOUT_MS = 30_000;

/** One cold start of `modulePath` in a new process with exactly `env` (plus PATH) and `nodeFlags`. */
export const measureInit = (
  modulePath: string,
  env: Readonly<Record<string, string>>,
  nodeFlags: readonly string[],
): Promise<InitSample> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, '--input-type=module', '-e', PROBE], {
      env: { PATH: process.env.PATH ?? '', ...env, BENCH_INIT_MODULE: pathToFileURL(modulePath).href },
      // stderr carries the SDK's Node-version notice and nothing the benchmark needs.
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as InitSample);
      } catch {
        reject(new Error(`init probe for ${modulePath} printed no result`));
      }
    });
  });
