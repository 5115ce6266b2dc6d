import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { StoreUnavailableError } from '../../shared/core/errors.ts';
import { claimLockFile } from './home-lock.ts';

export interface EmbeddedDynamoOptions {
  /** Folder of a LevelDB store that survives restarts; in memory when absent. */
  readonly path?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
}

export interface EmbeddedDynamo {
  /** `http://127.0.0.1:<port>`, for a DynamoDB client's `endpoint`. */
  readonly endpoint: string;
  /** Closes every connection and the store (releasing the LevelDB lock); safe to call twice. */
  stop(): Promise<void>;
}

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite is CommonJS without type declarations; createRequire keeps its (tiny) typing local here
// instead of a project-wide ambient declaration.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: DynaliteOptions) => Server;

const LOCK_FILE = 'embedded-dynamo.pid';

/**
 * Claims `path` for this process. A second LevelDB open of the same folder does not fail cleanly in
 * dynalite: it surfaces later as an unhandled stream error that kills the process (and LevelDB
 * rotates its LOG files before it even tries its own lock). A lock file beside LevelDB's own files
 * (LevelDB leaves files it does not know alone) turns that into a clear error before anything is
 * opened; a lock left by a crashed process is taken over (see claimLockFile).
 */
const claimFolder = async (path: string): Promise<() => Promise<void>> => {
  const lock = await claimLockFile(
    join(path, LOCK_FILE),
    (holder) =>
      new StoreUnavailableError(`The local DynamoDB folder ${path} is in use by process ${holder.pid}.`, {
        details: { path, pid: holder.pid },
      }),
  );
  return () => lock.release();
};

const DRAIN_TIMEOUT_MS = 5_000;

/** dynalite's close also closes its store, which releases LevelDB's lock for the next start. */
const closeServer = (server: Server): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Clients keep connections alive; close would otherwise wait for them to go idle.
    server.closeAllConnections();
  });

/**
 * Starts dynalite, a DynamoDB-compatible server, on loopback: the engine behind local mode and the
 * DynamoDB integration tests. Tables become ACTIVE at once (dynalite's default 500 ms CREATING phase
 * only slows tests down). Only one server may open a given `path` at a time.
 */
export const startEmbeddedDynamo = async ({
  path,
  port = 0,
}: EmbeddedDynamoOptions = {}): Promise<EmbeddedDynamo> => {
  let release = async (): Promise<void> => {};
  if (path !== undefined) {
    await mkdir(path, { recursive: true });
    release = await claimFolder(path);
  }
  const server = dynalite({
    ...(path === undefined ? {} : { path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // dynalite closes its store only through a listening server's close; when that fails the
    // store may still hold the folder, so the claim stays with this process rather than inviting
    // a second open that would crash it.
    const closed = await closeServer(server).then(
      () => true,
      () => false,
    );
    if (closed) await release();
    throw error;
  }
  const { port: boundPort } = server.address() as AddressInfo;

  // dynalite closes its database while a request that is half-way through (an UpdateItem reads,
  // then writes) may still run, and that request then throws "Database is closed" as an uncaught
  // exception. So stop waits, bounded, for requests in flight to finish before closing.
  let inFlight = 0;
  let drained: (() => void) | undefined;
  server.on('request', (_request, response) => {
    inFlight++;
    // The response's own 'close' comes too early when the client hangs up first; dynalite calls
    // end() only once its database work is done, so that is the moment a request stops counting.
    const end = response.end.bind(response) as (...args: unknown[]) => typeof response;
    let counted = true;
    response.end = ((...args: unknown[]) => {
      if (counted) {
        counted = false;
        inFlight--;
        if (inFlight === 0) drained?.();
      }
      return end(...args);
    }) as typeof response.end;
  });
  const drain = (): Promise<void> =>
    inFlight === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= drain()
      .then(() => closeServer(server))
      .finally(release);
    return stopped;
  };

  return { endpoint: `http://127.0.0.1:${boundPort}`, stop };
};
