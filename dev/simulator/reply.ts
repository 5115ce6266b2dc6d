import type { ServerResponse } from 'node:http';

export type HeaderMap = Record<string, string>;

/**
 * One response, sent at most once. The `Date` header comes from the simulator clock, not the
 * real one, because clients anchor token expiries on it. Send hooks let the rate limiter settle a
 * request's cost at the moment its headers are written.
 */
export interface Reply {
  json(status: number, body: unknown, headers?: HeaderMap): void;
  text(status: number, body: string, contentType: string, headers?: HeaderMap): void;
  empty(status: number, headers?: HeaderMap): void;
  onSend(hook: (headers: HeaderMap) => void): void;
  /**
   * Holds the answer until `until` resolves (`late` fault: the work is done, the answer is
   * late); resolving false (the connection closed, the simulator stopped) drops it.
   */
  holdUntil(until: Promise<boolean>): void;
  /** Announces the full body length but sends only half of it, then closes the connection. */
  truncate(): void;
  readonly sent: boolean;
}

/** The server's keep-alive timeout, announced in the `keep-alive` header. */
export const KEEP_ALIVE_TIMEOUT_MS = 5000;

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export const makeReply = (res: ServerResponse, now: () => number): Reply => {
  let sent = false;
  let hold: Promise<boolean> | undefined;
  let truncated = false;
  const hooks: Array<(headers: HeaderMap) => void> = [];

  const failPlainly = (): void => {
    try {
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      res.statusCode = 500;
      res.setHeader('content-length', '0');
      res.end();
    } catch {
      res.destroy();
    }
  };

  const send = (
    status: number,
    body: string | undefined,
    contentType: string | undefined,
    extra?: HeaderMap,
  ) => {
    if (sent) return;
    sent = true;
    if (hold) {
      void hold.then((go) => {
        if (go) write(status, body, contentType, extra);
      });
      return;
    }
    write(status, body, contentType, extra);
  };

  const write = (
    status: number,
    body: string | undefined,
    contentType: string | undefined,
    extra?: HeaderMap,
  ) => {
    if (res.destroyed || res.writableEnded || res.headersSent) return;
    const headers: HeaderMap = {};
    for (const hook of hooks) hook(headers);
    Object.assign(headers, extra);
    headers.date = new Date(now()).toUTCString();
    // Set here so Node does not add its own capitalised Connection / Keep-Alive headers:
    // Canvas sends every header name in lower case.
    if (headers.connection === undefined) {
      headers.connection = res.shouldKeepAlive ? 'keep-alive' : 'close';
      if (res.shouldKeepAlive) headers['keep-alive'] = `timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`;
    }
    if (contentType !== undefined) headers['content-type'] = contentType;
    headers['content-length'] = String(body === undefined ? 0 : Buffer.byteLength(body));
    try {
      res.statusCode = status;
      for (const [name, value] of Object.entries(headers)) res.setHeader(name.toLowerCase(), value);
      if (truncated && body !== undefined) {
        const bytes = Buffer.from(body);
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.destroy());
        return;
      }
      res.end(body);
    } catch {
      // A header value Node refuses must not leave the client waiting forever.
      failPlainly();
    }
  };

  return {
    json: (status, body, headers) => send(status, JSON.stringify(body), JSON_CONTENT_TYPE, headers),
    text: (status, body, contentType, headers) => send(status, body, contentType, headers),
    empty: (status, headers) => send(status, undefined, undefined, headers),
    onSend: (hook) => {
      hooks.push(hook);
    },
    holdUntil: (until) => {
      hold = until;
    },
    truncate: () => {
      truncated = true;
    },
    get sent() {
      return sent;
    },
  };
};
