import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeSigV4Verifier } from '../../../dev/local/sigv4-verifier.ts';
import { type LocalApi, type LocalApiHandler, startLocalApi } from '../../../dev/local/start-local-api.ts';
import { signedFetch } from './support/signed-fetch.ts';

const KEY = {
  accessKeyId: 'AKIALOCALSERVER00001',
  secretAccessKey: 'server-test-secret-0000000000000000000001',
};
const ROLE_KEY = {
  accessKeyId: 'AKIALOCALSERVER00002',
  secretAccessKey: 'server-test-secret-0000000000000000000002',
};
const ROLE_SESSION_ARN = 'arn:aws:sts::123456789012:assumed-role/Reporting/job-42';

const verifier = makeSigV4Verifier({
  credentials: [KEY, { ...ROLE_KEY, principalArn: ROLE_SESSION_ARN }],
  region: 'us-east-1',
  clock: { now: () => Date.now() },
});

let behaviour: LocalApiHandler = async () => ({ statusCode: 200, body: '{}' });
const events: APIGatewayProxyEvent[] = [];
const handler: LocalApiHandler = (event, context) => {
  events.push(event);
  return behaviour(event, context);
};

let api: LocalApi;
beforeAll(async () => {
  api = await startLocalApi({ handler, verifier, port: 0, maxBodyBytes: 1024, integrationTimeoutMs: 200 });
});
afterAll(() => api.stop());
afterEach(() => {
  events.length = 0;
  behaviour = async () => ({ statusCode: 200, body: '{}' });
});

/** Writes raw bytes on a socket and resolves with whatever comes back before the server closes it. */
const rawExchange = (port: number, payload: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(payload));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });

describe('startLocalApi', () => {
  it('listens on 127.0.0.1 on the port it was given (0: any free port)', () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(api.port).toBeGreaterThan(0);
  });

  it('maps a signed request to an API Gateway REST proxy event with the caller identity', async () => {
    const answer = await signedFetch(api.url, '/v1/credentials/dap/token', KEY, {
      body: '{"minTtlSeconds":60}',
      headers: { 'X-Trace': 'abc' },
    });
    expect(answer.status).toBe(200);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event).toMatchObject({
      resource: '/v1/credentials/{id}/token',
      path: '/v1/credentials/dap/token',
      httpMethod: 'POST',
      pathParameters: { id: 'dap' },
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      body: '{"minTtlSeconds":60}',
      isBase64Encoded: false,
    });
    expect(event.requestContext).toMatchObject({
      accountId: '000000000000',
      httpMethod: 'POST',
      stage: 'local',
      path: '/local/v1/credentials/dap/token',
      resourcePath: '/v1/credentials/{id}/token',
      identity: {
        userArn: 'arn:aws:iam::000000000000:user/local-developer',
        accountId: '000000000000',
        accessKey: KEY.accessKeyId,
        sourceIp: '127.0.0.1',
      },
    });
    expect(event.requestContext.identity.caller).toMatch(/^AIDA[0-9A-F]{17}$/);
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers.get('x-amzn-requestid')).toBe(event.requestContext.requestId);
    const header = Object.entries(event.headers).find(([name]) => name.toLowerCase() === 'x-trace');
    expect(header?.[1]).toBe('abc');
    expect(Object.keys(event.headers)).toContain('authorization');
  });

  it('reports an assumed-role key as its session ARN, as IAM does', async () => {
    await signedFetch(api.url, '/v1/credentials', ROLE_KEY);
    const { identity } = events[0]!.requestContext;
    expect(identity).toMatchObject({ userArn: ROLE_SESSION_ARN, accountId: '123456789012' });
    expect(identity.caller).toMatch(/^AROA[0-9A-F]{17}:job-42$/);
    expect(events[0]).toMatchObject({ resource: '/v1/credentials', pathParameters: null });
  });

  it('passes query parameters percent-decoded, single and multi-valued', async () => {
    await signedFetch(api.url, '/v1/credentials?state=fresh%20only&tag=a&tag=b', KEY);
    expect(events[0]).toMatchObject({
      queryStringParameters: { state: 'fresh only', tag: 'b' },
      multiValueQueryStringParameters: { state: ['fresh only'], tag: ['a', 'b'] },
    });
  });

  it('sends unknown paths to the handler through a greedy proxy resource', async () => {
    behaviour = async () => ({ statusCode: 404, body: '{"error":{"code":"ROUTE_NOT_FOUND"}}' });
    const answer = await signedFetch(api.url, '/v2/elsewhere', KEY);
    expect(answer.status).toBe(404);
    expect(events[0]).toMatchObject({ resource: '/{proxy+}', pathParameters: { proxy: 'v2/elsewhere' } });
  });

  it('refuses an unsigned request with 403 and API Gateway body, without calling the handler', async () => {
    const answer = await signedFetch(api.url, '/v1/credentials/dap/token', KEY, {
      body: '{}',
      unsigned: true,
    });
    expect(answer.status).toBe(403);
    expect(answer.json).toEqual({ message: 'Missing Authentication Token' });
    expect(answer.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(events).toHaveLength(0);
  });

  it('refuses a request signed with an unknown key', async () => {
    const stranger = { accessKeyId: 'AKIASTRANGER00000001', secretAccessKey: KEY.secretAccessKey };
    const answer = await signedFetch(api.url, '/v1/credentials', stranger);
    expect(answer.status).toBe(403);
    expect(answer.json).toEqual({ message: 'The security token included in the request is invalid.' });
    expect(answer.headers.get('x-amzn-errortype')).toBe('UnrecognizedClientException');
  });

  it('refuses a stale signature', async () => {
    const answer = await signedFetch(api.url, '/v1/credentials', KEY, { at: Date.now() - 10 * 60_000 });
    expect(answer.status).toBe(403);
    expect((answer.json as { message: string }).message).toMatch(/^Signature expired: /);
  });

  it('refuses a declared body over the cap with 413 before reading it', async () => {
    const answer = await signedFetch(api.url, '/v1/credentials/dap/token', KEY, { body: 'x'.repeat(1025) });
    expect(answer.status).toBe(413);
    expect(answer.json).toEqual({ message: 'Request Too Long' });
    expect(events).toHaveLength(0);
  });

  it('refuses a streamed body that grows over the cap with 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${api.url}/v1/credentials/dap/token`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      // No Content-Length: chunked, so only counting the bytes can catch it.
      req.write('x'.repeat(800));
      req.end('x'.repeat(800));
    });
    expect(status).toBe(413);
    expect(events).toHaveLength(0);
  });

  it('answers 500 with a fixed message when the handler throws', async () => {
    behaviour = async () => {
      throw new Error('secret internals');
    };
    const answer = await signedFetch(api.url, '/v1/credentials', KEY);
    expect(answer.status).toBe(500);
    expect(answer.json).toEqual({ message: 'Internal server error' });
  });

  it('answers 502 when the handler returns something that is not a proxy result', async () => {
    behaviour = async () => ({ statusCode: 'nope' }) as unknown as APIGatewayProxyResult;
    const answer = await signedFetch(api.url, '/v1/credentials', KEY);
    expect(answer.status).toBe(502);
    expect(answer.json).toEqual({ message: 'Internal server error' });
  });

  it('answers 504 when the handler outlives the integration timeout', async () => {
    behaviour = () => new Promise(() => {});
    const answer = await signedFetch(api.url, '/v1/credentials', KEY);
    expect(answer.status).toBe(504);
    expect(answer.json).toEqual({ message: 'Endpoint request timed out' });
  });

  it("writes the handler's status, headers and multi-value headers", async () => {
    behaviour = async () => ({
      statusCode: 201,
      headers: { 'Cache-Control': 'no-store', 'X-Count': 3 },
      multiValueHeaders: { 'X-Multi': ['a', 'b'] },
      body: '{"ok":true}',
    });
    const answer = await signedFetch(api.url, '/v1/credentials', KEY);
    expect(answer.status).toBe(201);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('x-count')).toBe('3');
    expect(answer.headers.get('x-multi')).toBe('a, b');
    expect(answer.json).toEqual({ ok: true });
  });

  it('gives the handler a Lambda context with the request id and remaining time', async () => {
    let seen: { id: string; remaining: number } | undefined;
    behaviour = async (event, context) => {
      seen = { id: context.awsRequestId, remaining: context.getRemainingTimeInMillis() };
      expect(context.awsRequestId).toBe(event.requestContext.requestId);
      return { statusCode: 200, body: '' };
    };
    await signedFetch(api.url, '/v1/credentials', KEY);
    expect(seen?.remaining).toBeGreaterThan(0);
    expect(seen?.remaining).toBeLessThanOrEqual(200);
  });

  it('survives malformed HTTP and keeps serving', async () => {
    const garbage = await rawExchange(api.port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);
    const huge = await rawExchange(
      api.port,
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(huge).toMatch(/^HTTP\/1\.1 431/);
    const badPath = await signedFetch(api.url, '/v1/credentials/%E0%A4%A', KEY, { unsigned: true });
    expect(badPath.status).toBe(403);
    const answer = await signedFetch(api.url, '/v1/credentials', KEY);
    expect(answer.status).toBe(200);
  });

  it('answers every generated request with a status and keeps serving', async () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9%._~!$&'()*+,;=:@-]{0,12}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
        fc.array(segment, { maxLength: 5 }),
        fc.stringMatching(/^[A-Za-z0-9%=&+;._-]{0,20}$/),
        fc.string({ maxLength: 64 }),
        fc.constantFrom(
          undefined,
          'AWS4-HMAC-SHA256',
          'AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=zz',
          'Bearer x',
        ),
        async (method, segments, query, body, authorization) => {
          const path = `/${segments.join('/')}${query === '' ? '' : `?${query}`}`;
          const status = await new Promise<number>((resolve, reject) => {
            const req = httpRequest(
              `${api.url}${path}`,
              { method, headers: authorization === undefined ? {} : { authorization } },
              (res) => {
                res.resume();
                resolve(res.statusCode ?? 0);
              },
            );
            req.on('error', reject);
            req.end(method === 'GET' || method === 'HEAD' ? undefined : body);
          });
          // 400 is Node's own answer to HTTP it cannot parse; everything parseable stops at the signature.
          expect([400, 403, 413]).toContain(status);
        },
      ),
      { numRuns: 150 },
    );
    expect(events).toHaveLength(0);
    expect((await signedFetch(api.url, '/v1/credentials', KEY)).status).toBe(200);
  });

  it.each(['constructor', '__proto__', 'toString'])(
    'serves a signed request carrying a header named %s, and refuses SignedHeaders naming it when absent with 403',
    async (name) => {
      // node:http, not fetch: undici silently drops a header named __proto__.
      const send = async (carry: boolean): Promise<number> => {
        const { host, port } = new URL(api.url);
        const signed = await new SignatureV4({
          credentials: KEY,
          region: 'us-east-1',
          service: 'execute-api',
          sha256: Hash.bind(null, 'sha256'),
        }).sign({
          method: 'POST',
          protocol: 'http:',
          hostname: '127.0.0.1',
          path: '/v1/credentials/dap/token',
          query: {},
          headers: { host, 'content-type': 'application/json', ...Object.fromEntries([[name, 'x']]) },
          body: '{}',
        });
        const headers = Object.fromEntries(
          Object.entries(signed.headers).filter(([key]) => carry || key !== name),
        ) as Record<string, string>;
        return new Promise((resolve, reject) => {
          const req = httpRequest(
            {
              host: '127.0.0.1',
              port: Number(port),
              method: 'POST',
              path: '/v1/credentials/dap/token',
              headers,
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          req.end('{}');
        });
      };
      expect(await send(true)).toBe(200);
      expect(events.at(-1)?.multiValueHeaders[name]).toEqual(['x']);
      expect(await send(false)).toBe(403);
    },
  );

  it('verifies a percent-encoded path as API Gateway does and hands the handler the decoded id', async () => {
    const answer = await signedFetch(api.url, '/v1/credentials/d%61p/token', KEY, { body: '{}' });
    expect(answer.status).toBe(200);
    expect(events.at(-1)).toMatchObject({
      path: '/v1/credentials/d%61p/token',
      pathParameters: { id: 'dap' },
    });
  });
});
