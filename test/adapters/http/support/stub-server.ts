import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type StubHandler = (request: RecordedRequest, response: ServerResponse) => void;

export interface StubServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Replaces the handler for the next requests. */
  handle(handler: StubHandler): void;
  close(): Promise<void>;
}

/** Answers with a fixed status, headers and body (a string, or an object sent as JSON). */
export const reply =
  (status: number, body: unknown = '', headers: Record<string, string> = {}): StubHandler =>
  (_request, response) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const contentType = typeof body === 'string' ? 'text/plain' : 'application/json';
    response.writeHead(status, { 'content-type': contentType, ...headers });
    response.end(text);
  };

/**
 * A tiny HTTP server on 127.0.0.1, port 0, for the answers the simulator cannot produce (exact
 * error bodies, oversized or truncated bodies, a server that never answers).
 */
export const startStubServer = async (initial: StubHandler = reply(404)): Promise<StubServer> => {
  let handler = initial;
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      // No automatic Date header: tests that exercise Date anchoring send their own.
      res.sendDate = false;
      handler(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
