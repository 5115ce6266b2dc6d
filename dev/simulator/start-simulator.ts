import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { makeRequestHandler } from './handle-request.ts';
import { makeIntrospector } from './introspect-token.ts';
import { KEEP_ALIVE_TIMEOUT_MS } from './reply.ts';
import { makeSimState } from './sim-state.ts';
import {
  DEFAULT_ALLOWED_AUDIENCES,
  type RunningSimulator,
  type SimulatorOptions,
} from './simulator-types.ts';
import { makeTimerSet } from './timer-set.ts';

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * Starts the Instructure simulator: Identity Service, DAP, and the Canvas endpoints the broker
 * uses, on one real HTTP server, plus the `/__sim/*` control API. Keys and seeded credentials
 * are generated fresh for every start.
 */
export const startSimulator = async (options: SimulatorOptions = {}): Promise<RunningSimulator> => {
  const state = await makeSimState({
    now: options.now ?? Date.now,
    identityExpiresIn: options.identityExpiresIn ?? 3599,
    allowedAudiences: options.allowedAudiences ?? DEFAULT_ALLOWED_AUDIENCES,
    ...(options.deployment ? { deployment: options.deployment } : {}),
    ...(options.lti ? { lti: options.lti } : {}),
  });
  const timers = makeTimerSet();
  const introspect = makeIntrospector(state);
  const host = options.host ?? '127.0.0.1';
  let url = '';
  let hostPort = '';

  const server = createServer(
    makeRequestHandler({
      state,
      timers,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      url: () => url,
      fallbackHost: () => hostPort,
      introspect,
    }),
  );
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Tracked so stop() can cut connections a `hang` fault left open.
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  hostPort = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  url = `http://${hostPort}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= new Promise<void>((resolve) => {
      timers.cancelAll();
      server.close(() => resolve());
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    });
    return stopping;
  };

  return {
    url,
    seeds: () => state.seeds(url),
    stats: () => ({ ...state.stats }),
    routeStats: () => ({ ...state.routeStats }),
    introspect,
    stop,
    addFault: (spec) => state.faults.add(spec),
    clearFaults: () => state.faults.clear(),
    setClockOffset: (seconds) => state.clock.setOffsetSeconds(seconds),
    rotate: () => {
      state.rotate();
      return state.seeds(url);
    },
    reset: () => state.reset(),
    setDeployment: (changes) => state.setDeployment(changes),
  };
};
