import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { systemClock } from '../../shared/adapters/system-clock.ts';
import { JWKS_ROUTE } from '../../shared/config/api-routes.ts';
import type { Clock } from '../../shared/core/clock.ts';
import { type Logger, noopLogger } from '../../shared/core/telemetry.ts';
import type { SigV4Verifier } from './sigv4-verifier.ts';
import { toProxyEvent, type VerifiedCaller } from './to-proxy-event.ts';

/** The token-api Lambda handler, as API Gateway would invoke it. */
export type LocalApiHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

export interface LocalApiOptions {
  readonly handler: LocalApiHandler;
  /**
   * The jwks function, for `GET /.well-known/jwks.json` (JWKS_ROUTE): the one route served without
   * a signature, as on API Gateway, since Canvas fetches it anonymously. It carries no identity.
   */
  readonly publicHandler?: LocalApiHandler;
  readonly verifier: SigV4Verifier;
  /** Loopback only by default: local keys are no protection on a shared network. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** The principal of a verified key that names none. */
  readonly defaultPrincipalArn?: string;
  /** Bodies above this are refused with 413 before they are buffered whole. */
  readonly maxBodyBytes?: number;
  /** API Gateway's integration timeout: a slower handler gets a 504. */
  readonly integrationTimeoutMs?: number;
  readonly stage?: string;
  readonly clock?: Pick<Clock, 'now'>;
  readonly logger?: Logger;
}

export interface LocalApi {
  /** `http://<host>:<port>`, without a trailing slash: the endpoint callers sign for. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, closes every connection, and resolves once the server is closed. */
  stop(): Promise<void>;
}

export const DEFAULT_LOCAL_PRINCIPAL_ARN = 'arn:aws:iam::000000000000:user/local-developer';
const DEFAULT_MAX_BODY_BYTES = 1_048_576;

interface GatewayAnswer {
  readonly status: number;
  readonly message: string;
  readonly errorType?: string;
}

/**
 * Answers the gateway itself gives, before or around the integration. Their body is always
 * `{"message": "..."}` (API Gateway's shape, not the broker's `{"error": {...}}`), with the AWS
 * error type in `x-amzn-ErrorType` for the 403s.
 */
const TOO_LARGE: GatewayAnswer = { status: 413, message: 'Request Too Long' };
const INTERNAL: GatewayAnswer = { status: 500, message: 'Internal server error' };
const BAD_INTEGRATION_RESPONSE: GatewayAnswer = { status: 502, message: 'Internal server error' };
const TIMED_OUT: GatewayAnswer = { status: 504, message: 'Endpoint request timed out' };

const splitUrl = (url: string): { path: string; query: string } => {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
};

/**
 * The headers as the caller sent them, by lower-case name (repeated ones as a list, which the
 * verifier joins with ',' as SigV4 canonicalizes them), in a map without a prototype. Built from
 * `rawHeaders` rather than taken from Node's `req.headers`, which drops a header named
 * `__proto__` and joins repeats its own way: the signature must be checked over what came in.
 */
const receivedHeaders = (raw: readonly string[]): Record<string, string | string[]> => {
  const map: Record<string, string | string[]> = Object.create(null);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const current = map[name];
    if (current === undefined) map[name] = value;
    else if (Array.isArray(current)) current.push(value);
    else map[name] = [current, value];
  }
  return map;
};

type BodyRead =
  | { readonly kind: 'body'; readonly bytes: Buffer }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'aborted' };

/** Buffers the body up to `max` bytes; past that it stops keeping chunks and reports too-large. */
const readBody = (req: IncomingMessage, max: number): Promise<BodyRead> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (read: BodyRead): void => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      resolve(read);
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > max) settle({ kind: 'too-large' });
      else chunks.push(chunk);
    });
    req.on('end', () => settle({ kind: 'body', bytes: Buffer.concat(chunks) }));
    req.on('error', () => settle({ kind: 'aborted' }));
    req.on('close', () => settle({ kind: 'aborted' }));
  });

const isResult = (value: unknown): value is APIGatewayProxyResult => {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Record<string, unknown>;
  return (
    Number.isInteger(result.statusCode) &&
    (result.statusCode as number) >= 100 &&
    (result.statusCode as number) <= 599 &&
    (result.body === undefined || result.body === null || typeof result.body === 'string') &&
    result.isBase64Encoded !== true
  );
};

const lambdaContext = (requestId: string, timeoutMs: number, startedAt: number): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'token-api-local',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:token-api-local',
  memoryLimitInMB: '1024',
  awsRequestId: requestId,
  logGroupName: '/aws/lambda/token-api-local',
  logStreamName: 'local',
  getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (performance.now() - startedAt)),
  done: () => {},
  fail: () => {},
  succeed: () => {},
});

/**
 * Serves a Lambda proxy handler the way an API Gateway REST API with `AWS_IAM` authorization does:
 * verifies SigV4 first (403 `{"message"}` on failure, never reaching the handler), caps the body,
 * maps the request to a v1 proxy event carrying the verified caller's identity, and writes the
 * handler's result back. Bad input of any kind gets an HTTP answer, never a crash.
 */
export const startLocalApi = async (options: LocalApiOptions): Promise<LocalApi> => {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const timeoutMs = options.integrationTimeoutMs ?? 29_000;
  const stage = options.stage ?? 'local';
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? noopLogger;
  const defaultPrincipal = options.defaultPrincipalArn ?? DEFAULT_LOCAL_PRINCIPAL_ARN;

  const answer = (res: ServerResponse, requestId: string, gateway: GatewayAnswer, close = false): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(gateway.status, {
      'content-type': 'application/json',
      'x-amzn-RequestId': requestId,
      ...(gateway.errorType === undefined ? {} : { 'x-amzn-ErrorType': gateway.errorType }),
      ...(close ? { connection: 'close' } : {}),
    });
    res.end(JSON.stringify({ message: gateway.message }));
  };

  const writeResult = (res: ServerResponse, requestId: string, result: APIGatewayProxyResult): void => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) {
      if (Array.isArray(values)) headers[name] = values.map(String);
    }
    headers['x-amzn-RequestId'] = requestId;
    res.writeHead(result.statusCode, headers);
    res.end(result.body ?? '');
  };

  const invoke = async (
    event: APIGatewayProxyEvent,
    requestId: string,
    handler: LocalApiHandler = options.handler,
  ): Promise<unknown> => {
    const startedAt = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    });
    try {
      return await Promise.race([handler(event, lambdaContext(requestId, timeoutMs, startedAt)), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const startedAt = performance.now();
    const method = req.method ?? 'GET';
    const { path, query } = splitUrl(req.url ?? '/');
    const done = (status: number, fields: Record<string, unknown> = {}): void =>
      logger.info('local api request', {
        requestId,
        method,
        path: path.slice(0, 200),
        status,
        ms: Math.round(performance.now() - startedAt),
        ...fields,
      });

    const declared = Number(req.headers['content-length'] ?? 0);
    if (!(declared <= maxBodyBytes)) {
      // Refuse on the declared length alone: nothing of the body is read.
      answer(res, requestId, TOO_LARGE, true);
      req.resume();
      done(TOO_LARGE.status);
      return;
    }
    const read = await readBody(req, maxBodyBytes);
    if (read.kind === 'aborted') return;
    if (read.kind === 'too-large') {
      answer(res, requestId, TOO_LARGE, true);
      done(TOO_LARGE.status);
      return;
    }

    // The proxy event API Gateway would build; `caller` only on the SigV4-verified routes.
    const eventFor = (caller?: VerifiedCaller) =>
      toProxyEvent({
        method,
        rawPath: path,
        rawQuery: query,
        rawHeaders: req.rawHeaders,
        body: read.bytes.length === 0 ? null : read.bytes.toString('utf8'),
        ...(caller === undefined ? {} : { caller }),
        requestId,
        requestTimeEpoch: clock.now(),
        sourceIp: req.socket.remoteAddress ?? host,
        stage,
      });

    if (options.publicHandler !== undefined && path === JWKS_ROUTE.resource) {
      const event = eventFor();
      const result = await invoke(event, requestId, options.publicHandler).catch(() => INTERNAL);
      if (isResult(result)) writeResult(res, requestId, result);
      else answer(res, requestId, result === TIMED_OUT ? TIMED_OUT : INTERNAL);
      done(isResult(result) ? result.statusCode : 500, { public: true });
      return;
    }

    const verdict = await options.verifier.verify({
      method,
      path,
      query,
      headers: receivedHeaders(req.rawHeaders),
      body: read.bytes,
    });
    if (!verdict.ok) {
      answer(res, requestId, { status: 403, message: verdict.message, errorType: verdict.errorType });
      done(403, { auth: verdict.reason });
      return;
    }

    const principalArn = verdict.principalArn ?? defaultPrincipal;
    const event = eventFor({ principalArn, accessKeyId: verdict.accessKeyId });
    let result: unknown;
    try {
      result = await invoke(event, requestId);
    } catch (error) {
      answer(res, requestId, INTERNAL);
      done(INTERNAL.status, {
        principal: principalArn,
        error: error instanceof Error ? error.name : 'unknown',
      });
      return;
    }
    if (result === TIMED_OUT) {
      answer(res, requestId, TIMED_OUT);
      done(TIMED_OUT.status, { principal: principalArn });
      return;
    }
    if (!isResult(result)) {
      answer(res, requestId, BAD_INTEGRATION_RESPONSE);
      done(BAD_INTEGRATION_RESPONSE.status, { principal: principalArn, error: 'malformed proxy result' });
      return;
    }
    writeResult(res, requestId, result);
    done(result.statusCode, { principal: principalArn });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('local api failure', { error: error instanceof Error ? error.name : 'unknown' });
      answer(res, 'unknown', INTERNAL);
    });
  });
  // Bounded waits for slow or stuck clients; nothing here should hold a socket forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (socket.writable && !socket.destroyed) {
      const status =
        error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    } else {
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
