import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpClientDeps } from '../../../shared/adapters/http/http-client-deps.ts';
import { sendUpstreamRequest } from '../../../shared/adapters/http/send-upstream-request.ts';
import { captureError, expectNoSecrets } from './support/capture-error.ts';
import { makeSteppingClock } from './support/stepping-clock.ts';
import { reply, type StubServer, startStubServer } from './support/stub-server.ts';

const SECRET = 'Bearer-canary-0123456789-abcdefghij-SECRET';

let server: StubServer;
beforeEach(async () => {
  server = await startStubServer();
});
afterEach(() => server.close());

const deps = (overrides: Partial<HttpClientDeps> = {}): HttpClientDeps => ({
  baseUrl: server.url,
  clock: makeSteppingClock(1_000, 250),
  timeoutMs: 5_000,
  userAgent: 'canvas-credential-broker/test',
  ...overrides,
});

const get = (d: HttpClientDeps, extra: { signal?: AbortSignal } = {}) =>
  sendUpstreamRequest(d, {
    operation: 'Test call',
    method: 'GET',
    url: '/api/v1/thing',
    headers: { authorization: `Bearer ${SECRET}` },
    ...extra,
  });

describe('sendUpstreamRequest', () => {
  it('reports the response Date with the instance clock around the exchange, for the offset estimate', async () => {
    server.handle(reply(200, { ok: true }, { Date: 'Wed, 02 Dec 2026 20:00:00 GMT' }));
    const samples: unknown[] = [];
    await get(deps({ observeDate: (sample) => samples.push(sample) }));
    expect(samples).toEqual([
      { sentAt: 1_000, receivedAt: 1_250, serverDate: Date.UTC(2026, 11, 2, 20, 0, 0) },
    ]);
  });

  it('reports nothing for a response whose Date does not parse', async () => {
    server.handle(reply(200, { ok: true }, { Date: 'yesterday-ish' }));
    const samples: unknown[] = [];
    await get(deps({ observeDate: (sample) => samples.push(sample) }));
    expect(samples).toEqual([]);
  });

  it('always sends a User-Agent and returns status, headers, body and the bracketing times', async () => {
    server.handle(reply(200, { ok: true }, { 'X-Request-Cost': '1.5' }));
    const response = await get(deps());
    expect(response).toMatchObject({ status: 200, text: '{"ok":true}', sentAt: 1_000, receivedAt: 1_250 });
    expect(response.headers.get('x-request-cost')).toBe('1.5');
    expect(server.requests[0]?.headers['user-agent']).toBe('canvas-credential-broker/test');
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('sends a form body as application/x-www-form-urlencoded', async () => {
    server.handle(reply(200, {}));
    await sendUpstreamRequest(deps(), {
      operation: 'Test call',
      method: 'POST',
      url: '/form',
      form: new URLSearchParams([
        ['a[]', 'x y'],
        ['a[]', 'z'],
      ]),
    });
    expect(server.requests[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(server.requests[0]?.body).toBe('a%5B%5D=x+y&a%5B%5D=z');
  });

  it('keeps a path prefix carried by the base URL', async () => {
    server.handle(reply(200, {}));
    await get(deps({ baseUrl: `${server.url}/canvas/` }));
    expect(server.requests[0]?.url).toBe('/canvas/api/v1/thing');
  });

  it('hands back any HTTP status for the caller to classify', async () => {
    server.handle(reply(503, 'down'));
    expect((await get(deps())).status).toBe(503);
  });

  it('does not follow a redirect, which could carry the token elsewhere', async () => {
    server.handle((_request, response) => {
      response.writeHead(302, { location: `${server.url}/elsewhere` });
      response.end();
    });
    const response = await get(deps());
    expect(response.status).toBe(302);
    expect(server.requests.map((r) => r.url)).toEqual(['/api/v1/thing']);
  });

  it('times out with UpstreamTimeoutError when the server never answers', async () => {
    server.handle(() => undefined);
    const error = await captureError(get(deps({ timeoutMs: 100 })));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.details).toMatchObject({ operation: 'Test call', timeoutMs: 100 });
    expectNoSecrets(error, [SECRET]);
  });

  it('times out when the server sends headers and then stalls the body', async () => {
    server.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"token":');
    });
    expect((await captureError(get(deps({ timeoutMs: 100 })))).code).toBe('UPSTREAM_TIMEOUT');
  });

  it("rejects with the caller's own reason when the caller aborts", async () => {
    const controller = new AbortController();
    const reason = new Error('caller went away');
    // The server never answers; the caller gives up once the request has arrived.
    server.handle(() => controller.abort(reason));
    await expect(get(deps(), { signal: controller.signal })).rejects.toBe(reason);
  });

  it('refuses a body larger than the cap when Content-Length announces it', async () => {
    server.handle(reply(200, 'x'.repeat(2_000)));
    const error = await captureError(get(deps({ maxBodyBytes: 1_000 })));
    expect(error).toMatchObject({ code: 'UPSTREAM_MALFORMED', upstreamStatus: 200 });
  });

  it('refuses a streamed body once it passes the cap', async () => {
    server.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      // Chunked, no Content-Length: the cap must be enforced while reading.
      for (let i = 0; i < 100; i++) response.write('y'.repeat(1_024));
      response.end();
    });
    const error = await captureError(get(deps()));
    expect(error.code).toBe('UPSTREAM_MALFORMED');
    expect(error.message).toContain('65536');
  });

  it('reports a refused connection as a retryable network error', async () => {
    const closed = await startStubServer();
    const url = closed.url;
    await closed.close();
    const error = await captureError(get(deps({ baseUrl: url })));
    expect(error.code).toBe('UPSTREAM_RETRYABLE');
    expect(error.details).toMatchObject({ networkCode: 'ECONNREFUSED' });
    expectNoSecrets(error, [SECRET]);
  });

  it('reports a connection dropped mid-response as a retryable network error', async () => {
    server.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"tok');
      setImmediate(() => response.socket?.destroy());
    });
    expect((await captureError(get(deps()))).code).toBe('UPSTREAM_RETRYABLE');
  });

  it('uses an injected fetch', async () => {
    const calls: string[] = [];
    const fetchStub: typeof fetch = async (input) => {
      calls.push(String(input));
      return new Response('{}', { status: 200 });
    };
    await get(deps({ baseUrl: 'https://canvas.invalid', fetch: fetchStub }));
    expect(calls).toEqual(['https://canvas.invalid/api/v1/thing']);
  });
});
