import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { RunningSimulator, SimulatorOptions, SimulatorSeeds } from '../../../dev/simulator/index.ts';
import { startSimulator } from '../../../dev/simulator/index.ts';

export const UA = { 'user-agent': 'canvas-credential-broker-tests/1.0' } as const;

/** A hand-driven clock: tests move simulator time explicitly, never by waiting. */
export interface TestClock {
  now(): number;
  advance(ms: number): void;
  /** Back to the start instant. */
  reset(): void;
}

export const START = Date.UTC(2030, 0, 15, 12, 0, 0);

export const makeTestClock = (start = START): TestClock => {
  let at = start;
  return {
    now: () => at,
    advance: (ms) => {
      at += ms;
    },
    reset: () => {
      at = start;
    },
  };
};

export interface TestSimulator {
  readonly sim: RunningSimulator;
  readonly clock: TestClock;
  readonly url: string;
  seeds(): SimulatorSeeds;
  /** Simulator reset plus the test clock back at START. */
  reset(): void;
}

export const startTestSimulator = async (options: SimulatorOptions = {}): Promise<TestSimulator> => {
  const clock = makeTestClock();
  const sim = await startSimulator({ now: clock.now, ...options });
  return {
    sim,
    clock,
    url: sim.url,
    seeds: () => sim.seeds(),
    reset: () => {
      sim.reset();
      clock.reset();
    },
  };
};

export type FormInput = Record<string, string | readonly string[]>;

export const form = (input: FormInput): URLSearchParams => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(input)) {
    for (const item of typeof value === 'string' ? [value] : value) params.append(key, item);
  }
  return params;
};

export interface CallOptions {
  readonly method?: string;
  /** Bearer token; omit for none. */
  readonly token?: string;
  readonly form?: FormInput;
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/** fetch with a User-Agent, a Bearer token and a form or JSON body. */
export const call = (url: string, path: string, options: CallOptions = {}): Promise<Response> => {
  const headers: Record<string, string> = { ...UA, ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | URLSearchParams | undefined;
  if (options.form) body = form(options.form);
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  return fetch(`${url}${path}`, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
};

export const basic = (seeds: SimulatorSeeds): string =>
  `Basic ${Buffer.from(`${seeds.identity.clientId}:${seeds.identity.clientSecret}`).toString('base64')}`;

export const login = (url: string, authorization: string, body = 'grant_type=client_credentials') =>
  fetch(`${url}/ids/auth/login`, {
    method: 'POST',
    headers: { ...UA, authorization, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });

export const control = async (
  url: string,
  path: string,
  method = 'POST',
  body?: unknown,
): Promise<Response> =>
  fetch(`${url}/__sim/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaderNames: readonly string[];
  readonly body: string;
}

/**
 * node:http instead of fetch, for what fetch will not do: leave out User-Agent (fetch adds one),
 * set Host, or look at header names exactly as sent.
 */
export const rawRequest = (
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaderNames: res.rawHeaders.filter((_, index) => index % 2 === 0),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });

/** Decodes the Base64 wrapping of a `/api/v1/jwts` token into its compact JOSE string. */
export const unwrapJwt = (token: string): string => Buffer.from(token, 'base64').toString('utf8');

export const decodeSegment = (segment: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;

/** Mints a services JWT with the seeded token and returns the `token` string. */
export const mintJwt = async (url: string, token: string, input: FormInput = {}): Promise<string> => {
  const res = await call(url, '/api/v1/jwts', { token, form: input });
  if (res.status !== 200) throw new Error(`jwts answered ${res.status}`);
  return ((await res.json()) as { token: string }).token;
};

export const mintInstAccess = async (url: string, token: string): Promise<string> => {
  const res = await call(url, '/api/v1/inst_access_tokens', { method: 'POST', token });
  if (res.status !== 201) throw new Error(`inst_access_tokens answered ${res.status}`);
  return ((await res.json()) as { token: string }).token;
};

/** Polls the control API until an endpoint has been reached `count` times (bounded). */
export const waitForCalls = async (url: string, endpoint: string, count: number): Promise<void> => {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const stats = (await (await control(url, 'stats', 'GET')).json()) as { calls: Record<string, number> };
    if ((stats.calls[endpoint] ?? 0) >= count) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`${endpoint} was not reached ${count} times`);
};
