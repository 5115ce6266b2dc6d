import { subscribe } from 'node:diagnostics_channel';

/** What one fetch told undici's diagnostics channels about its socket. */
export interface SocketObservation {
  /** The request went out on a keep-alive socket that had carried a request before. */
  reused: boolean;
  /** undici saw response headers for it (so the upstream received and answered it). */
  answered: boolean;
}

/** The observation of the fetch call running right now (synchronously), if any. */
let current: SocketObservation | undefined;
const observationOf = new WeakMap<object, SocketObservation>();
const requestsSent = new WeakMap<object, number>();
let subscribed = false;

/**
 * Node's fetch is undici, and undici publishes every request's life on diagnostics channels
 * (`undici:request:create`, `undici:client:sendHeaders` with the socket, `undici:request:headers`).
 * That is the only place fetch says whether a request went out on a reused keep-alive socket:
 * its errors carry just `ECONNRESET` / `UND_ERR_SOCKET`. undici creates its request, and publishes
 * `request:create`, synchronously inside the `fetch()` call, before fetch returns its promise; so
 * a variable set for the length of that call ties undici's request to ours, and the later events
 * carry that request object. (An AsyncLocalStorage did this before; on Node 20 and 22 its promise
 * hooks, once enabled, tax every promise of the process for good: about 15 % of the broker's CPU
 * in P1's cold burst.) With an injected non-undici fetch, or a fetch that created its request
 * later, nothing is observed and `reused` stays false: the conservative answer, no retry.
 */
const subscribeOnce = (): void => {
  if (subscribed) return;
  subscribed = true;
  subscribe('undici:request:create', (message) => {
    const observation = current;
    const request = (message as { request?: object }).request;
    if (observation && request) observationOf.set(request, observation);
  });
  subscribe('undici:client:sendHeaders', (message) => {
    const { request, socket } = message as { request?: object; socket?: object };
    if (!socket) return;
    const before = requestsSent.get(socket) ?? 0;
    requestsSent.set(socket, before + 1);
    const observation = request && observationOf.get(request);
    if (observation) observation.reused = before > 0;
  });
  subscribe('undici:request:headers', (message) => {
    const request = (message as { request?: object }).request;
    const observation = request && observationOf.get(request);
    if (observation) observation.answered = true;
  });
};

// At load, not at first use: a socket's earlier requests must be counted for it to count as reused.
subscribeOnce();

/** Runs `send` (one fetch) and records what its socket did in `observation`. */
export const observeSocket = <T>(observation: SocketObservation, send: () => Promise<T>): Promise<T> => {
  const outer = current;
  current = observation;
  try {
    return send();
  } finally {
    current = outer;
  }
};

const STALE_SOCKET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);

const causeCode = (error: unknown): string | undefined => {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
};

/**
 * The keep-alive race: the server closed an idle connection just as this request was written to
 * it. The request went out on a REUSED socket, the socket was reset or closed, and no response
 * header came back: the upstream never processed it, so sending it once more on a fresh
 * connection cannot mint twice. A reset on a fresh connection, or after the headers, is not this
 * race (the upstream may have acted) and is never repeated.
 */
export const isStaleSocketReset = (error: unknown, observation: SocketObservation): boolean => {
  const code = causeCode(error);
  return observation.reused && !observation.answered && code !== undefined && STALE_SOCKET_CODES.has(code);
};
