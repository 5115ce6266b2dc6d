import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AnswerCode } from '../../../shared/core/answer-code.ts';
import { canonicalJson } from '../../../shared/core/canonical-json.ts';
import type { Clock } from '../../../shared/core/clock.ts';
import { CREDENTIAL_ID_PATTERN, type TokenKind } from '../../../shared/core/credential.ts';
import { fingerprint } from '../../../shared/core/fingerprint.ts';
import { firstRequestId } from '../../../shared/core/request-id.ts';
import { safeText } from '../../../shared/core/safe-text.ts';
import type { TokenBody } from '../../../shared/core/token-body.ts';
import { untilAborted } from '../../../shared/core/until-aborted.ts';
import { BrokerClientError, type BrokerClientErrorCode } from './broker-client-error.ts';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Called before every request; the AWS SDK credential providers cache and refresh themselves. */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

export interface BrokerClientOptions {
  /** The API's base URL including its stage, e.g. `https://abc123.execute-api.us-east-1.amazonaws.com/prod`. */
  readonly endpoint: string;
  /** Signing region; inferred from an `execute-api` endpoint host when omitted. */
  readonly region?: string;
  /** Defaults to the AWS default chain (`defaultProvider` of @aws-sdk/credential-provider-node), loaded on first use. */
  readonly credentials?: AwsCredentials | AwsCredentialsProvider;
  readonly fetch?: typeof fetch;
  /** Signing time and cache expiry; defaults to the system clock. */
  readonly clock?: Pick<Clock, 'now'>;
  /** Deadline of one request, answer body included (default 30 s, above API Gateway's 29 s). */
  readonly timeoutMs?: number;
  /**
   * Most tokens kept in this process's cache (default 1,000); the least recently used goes first.
   * Parameters are caller data, so without a bound a caller cycling through them grows the cache
   * without end (20,000 parameter sets held 93 MB).
   */
  readonly maxCacheEntries?: number;
}

/** The broker's token answer (POST /v1/credentials/{id}/token). */
export type BrokerToken = TokenBody;

export interface GetTokenOptions {
  /** The least remaining life the caller needs, in whole seconds (default 0). */
  readonly minTtlSeconds?: number;
  /** Caller-chosen parameters the credential allows (for canvas-jwt: workflows, context, audience...). */
  readonly params?: Readonly<Record<string, unknown>>;
  /** Aborts this caller's wait only; a request shared with other callers goes on. */
  readonly signal?: AbortSignal;
}

export interface ReportRejectedOptions {
  /** The variant's parameters; taken from the cached token when it is still known. */
  readonly params?: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
}

export interface BrokerClient {
  /**
   * A token with at least `minTtlSeconds` of life. Served from this process's cache while it
   * qualifies; otherwise one signed request, shared by every concurrent caller asking the same thing.
   * Failures are BrokerClientErrors; nothing is retried here.
   */
  getToken(credentialId: string, options?: GetTokenOptions): Promise<BrokerToken>;
  /**
   * Reports a token an upstream rejected (a 401 from Canvas): drops it from the cache and asks the
   * broker to invalidate it, proving possession with the token's SHA-256 (the token itself is never
   * sent). Accepts the token, or its fingerprint while the token is still in this client's cache.
   */
  reportRejected(
    credentialId: string,
    tokenOrFingerprint: string,
    options?: ReportRejectedOptions,
  ): Promise<{ readonly invalidated: boolean }>;
  /** Forgets every cached token. */
  clearCache(): void;
}

/** Every code the broker may put in an error body; the type makes this list exhaustive. */
const BROKER_CODES: Readonly<Record<AnswerCode, true>> = {
  BAD_REQUEST: true,
  PAYLOAD_TOO_LARGE: true,
  UNSUPPORTED_MEDIA_TYPE: true,
  ROUTE_NOT_FOUND: true,
  METHOD_NOT_ALLOWED: true,
  POLICY_DENIED: true,
  MIN_TTL_UNSATISFIABLE: true,
  TOKEN_UNAVAILABLE: true,
  UPSTREAM_RETRYABLE: true,
  UPSTREAM_TIMEOUT: true,
  UPSTREAM_CREDENTIALS_REJECTED: true,
  UPSTREAM_FATAL: true,
  UPSTREAM_MALFORMED: true,
  UPSTREAM_REFRESH_REJECTED: true,
  SECRET_NOT_FOUND: true,
  SECRET_ACCESS_DENIED: true,
  SECRET_THROTTLED: true,
  SECRET_MALFORMED: true,
  SECRET_UNAVAILABLE: true,
  STORE_UNAVAILABLE: true,
  DECRYPT_FAILED: true,
  ENCRYPT_FAILED: true,
  CIPHER_UNAVAILABLE: true,
  SIGNING_FAILED: true,
  CONFIG_INVALID: true,
  INTERNAL: true,
};

const FINGERPRINT = /^[0-9a-f]{16}$/;
const EXECUTE_API_REGION = /\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_CACHE_ENTRIES = 1_000;
const MAX_REJECTED_REMEMBERED = 64;

// The client ships alone (it may import only the core, which reads no wall clock), so its default
// clock is its own: the broker's is shared/adapters/system-clock.ts.
const systemClock = { now: () => Date.now() };

const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

const invalid = (message: string): BrokerClientError => new BrokerClientError('INVALID_ARGUMENT', message);

const parseEndpoint = (endpoint: string): URL => {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalid('endpoint must be an absolute URL.');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    // Tokens must never cross a network in clear text; plain http is for local mode only.
    throw invalid('endpoint must use https (plain http is accepted for loopback addresses only).');
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw invalid('endpoint must not carry a query, fragment or user info.');
  }
  return url;
};

const loadDefaultChain = (): AwsCredentialsProvider => {
  let provider: AwsCredentialsProvider | undefined;
  return async () => {
    // Loaded on first use: local mode and callers with explicit keys never pay for the SDK chain.
    if (provider === undefined) {
      // credential-provider-node is the default chain itself; @aws-sdk/credential-providers wraps the
      // same chain but would add the Cognito client to every installation of the client package.
      const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
      provider = defaultProvider();
    }
    return provider();
  };
};

const retryAfterOf = (header: string | null, now: number): number | undefined => {
  if (header === null) return undefined;
  if (/^\d{1,9}$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
};

const GATEWAY_CODES: Readonly<Record<number, BrokerClientErrorCode>> = {
  403: 'GATEWAY_REJECTED',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'THROTTLED',
  504: 'TIMEOUT',
};

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Turns a non-2xx answer into a typed error: the broker's `{"error"}` body or the gateway's `{"message"}`. */
const errorFromAnswer = (status: number, headers: Headers, body: unknown, now: number): BrokerClientError => {
  const retryAfterSeconds = retryAfterOf(headers.get('retry-after'), now);
  const header = headers.get('x-amzn-requestid');
  // Request ids are shown to people for support; anything else in that field is not repeated.
  const gatewayRequestId = firstRequestId(header);
  if (isRecord(body) && isRecord(body.error) && typeof body.error.code === 'string') {
    const { code, message, requestId } = body.error;
    const known = Object.hasOwn(BROKER_CODES, code as string);
    return new BrokerClientError(
      known ? (code as AnswerCode) : 'HTTP_ERROR',
      safeText(typeof message === 'string' ? message : `The broker answered HTTP ${status}.`, 300),
      {
        status,
        retryAfterSeconds,
        requestId: firstRequestId(requestId) ?? gatewayRequestId,
      },
    );
  }
  const gatewayMessage = isRecord(body) && typeof body.message === 'string' ? body.message : undefined;
  return new BrokerClientError(
    GATEWAY_CODES[status] ?? 'HTTP_ERROR',
    safeText(gatewayMessage ?? `The broker answered HTTP ${status}.`, 300),
    { status, retryAfterSeconds, requestId: gatewayRequestId },
  );
};

const readTokenBody = (body: unknown): BrokerToken | undefined => {
  if (!isRecord(body)) return undefined;
  const { token, tokenType, expiresAt, expiresIn, credentialId, kind, fingerprint: fp } = body;
  if (
    typeof token !== 'string' ||
    token === '' ||
    tokenType !== 'Bearer' ||
    typeof expiresAt !== 'string' ||
    typeof expiresIn !== 'number' ||
    !Number.isFinite(expiresIn) ||
    expiresIn < 0 ||
    typeof credentialId !== 'string' ||
    typeof kind !== 'string' ||
    typeof fp !== 'string'
  ) {
    return undefined;
  }
  return { token, tokenType, expiresAt, expiresIn, credentialId, kind: kind as TokenKind, fingerprint: fp };
};

/** Waits for `promise`, or rejects as soon as this caller's own signal aborts. */
const withCallerSignal = <T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> =>
  untilAborted(
    promise,
    signal,
    (s) => new BrokerClientError('ABORTED', 'The caller aborted the wait.', { cause: s.reason }),
  );

interface CacheEntry {
  readonly token: BrokerToken;
  readonly params: Readonly<Record<string, unknown>> | undefined;
  /** Epoch ms (client clock) when the token's guaranteed life ends. */
  readonly endsAt: number;
}

/**
 * A client of the broker's API for callers in Node: SigV4-signs each request (service
 * `execute-api`) with the caller's AWS credentials, caches each token in this process until
 * `sent + expiresIn - minTtl` (anchored when the request was sent, before the broker computed
 * `expiresIn`, so the cache never outlives the broker's guarantee, whatever this host's clock says
 * about `expiresAt`), shares one request among concurrent callers asking for the same credential,
 * parameters and minTtl, and reports rejected tokens by fingerprint.
 */
export const makeBrokerClient = (options: BrokerClientOptions): BrokerClient => {
  const base = parseEndpoint(options.endpoint);
  const region = options.region ?? EXECUTE_API_REGION.exec(base.hostname)?.[1];
  if (region === undefined || region === '') {
    throw invalid('region is required when the endpoint is not an execute-api host.');
  }
  const basePath = base.pathname.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxCacheEntries = options.maxCacheEntries ?? DEFAULT_MAX_CACHE_ENTRIES;
  if (!Number.isSafeInteger(maxCacheEntries) || maxCacheEntries < 1) {
    throw invalid('maxCacheEntries must be a positive integer.');
  }
  const given = options.credentials;
  const credentials: AwsCredentialsProvider =
    given === undefined ? loadDefaultChain() : typeof given === 'function' ? given : async () => given;

  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    sha256: Hash.bind(null, 'sha256'),
    credentials: async () => {
      try {
        return await credentials();
      } catch (error) {
        throw new BrokerClientError(
          'CREDENTIALS_UNAVAILABLE',
          `No AWS credentials to sign the request with: ${safeText(error instanceof Error ? error.message : error)}`,
          { cause: error },
        );
      }
    },
  });

  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  const cache = new Map<string, CacheEntry>();
  const remember = (key: string, entry: CacheEntry): void => {
    cache.delete(key);
    cache.set(key, entry);
    while (cache.size > maxCacheEntries) cache.delete(cache.keys().next().value as string);
  };
  const inFlight = new Map<string, Promise<BrokerToken>>();
  // Fingerprints reported as rejected: a response already in flight must not put them back in the cache.
  const rejected: string[] = [];

  const send = async (
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
  ): Promise<{ status: number; headers: Headers; json: unknown }> => {
    const headers: Record<string, string> = { host: base.host, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let signed: Awaited<ReturnType<SignatureV4['sign']>>;
    try {
      signed = await signer.sign(
        {
          method,
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port === '' ? undefined : Number(base.port),
          path: `${basePath}${path}`,
          query: {},
          headers,
          body,
        },
        { signingDate: new Date(clock.now()) },
      );
    } catch (error) {
      if (error instanceof BrokerClientError) throw error;
      throw new BrokerClientError('CREDENTIALS_UNAVAILABLE', 'The request could not be signed.', {
        cause: error,
      });
    }
    // fetch sets Host from the URL itself (the same value that was signed).
    const { host: _host, ...wireHeaders } = signed.headers;
    const url = `${base.origin}${basePath}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, {
        method,
        headers: wireHeaders,
        body,
        // A redirect would replay a signed request somewhere it was not signed for.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw timedOut
        ? new BrokerClientError('TIMEOUT', `The broker did not answer within ${timeoutMs} ms.`, {
            cause: error,
          })
        : new BrokerClientError('NETWORK_ERROR', `Could not reach the broker at ${base.origin}.`, {
            cause: error,
          });
    }
    return { status: response.status, headers: response.headers, json: parseJson(text) };
  };

  const expect2xx = (answer: { status: number; headers: Headers; json: unknown }): unknown => {
    if (answer.status >= 200 && answer.status < 300) return answer.json;
    throw errorFromAnswer(answer.status, answer.headers, answer.json, clock.now());
  };

  const fetchToken = async (
    credentialId: string,
    variantKey: string,
    minTtlSeconds: number | undefined,
    params: Readonly<Record<string, unknown>> | undefined,
  ): Promise<BrokerToken> => {
    const request: Record<string, unknown> = {};
    if (minTtlSeconds !== undefined) request.minTtlSeconds = minTtlSeconds;
    if (params !== undefined) request.params = params;
    const sentAt = clock.now();
    const answer = await send('POST', `/v1/credentials/${credentialId}/token`, JSON.stringify(request));
    const token = readTokenBody(expect2xx(answer));
    if (token === undefined) {
      throw new BrokerClientError('INVALID_RESPONSE', 'The broker answered with an unreadable token body.', {
        status: answer.status,
      });
    }
    const entry: CacheEntry = { token, params, endsAt: sentAt + token.expiresIn * 1000 };
    const current = cache.get(variantKey);
    if (!rejected.includes(token.fingerprint) && (current === undefined || current.endsAt < entry.endsAt)) {
      remember(variantKey, entry);
    }
    return token;
  };

  return {
    async getToken(credentialId, tokenOptions = {}) {
      const { minTtlSeconds, params, signal } = tokenOptions;
      if (typeof credentialId !== 'string' || !CREDENTIAL_ID_PATTERN.test(credentialId)) {
        throw invalid('credentialId must be 1-63 lower-case letters, digits or dashes.');
      }
      if (minTtlSeconds !== undefined && !(Number.isInteger(minTtlSeconds) && minTtlSeconds >= 0)) {
        throw invalid('minTtlSeconds must be a non-negative integer.');
      }
      if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
        throw invalid('params must be an object.');
      }
      const variantKey = `${credentialId}\n${params === undefined ? '' : canonicalJson(params)}`;
      const needMs = (minTtlSeconds ?? 0) * 1000;
      const now = clock.now();
      const cached = cache.get(variantKey);
      if (cached !== undefined && now < cached.endsAt - needMs) {
        remember(variantKey, cached);
        return { ...cached.token, expiresIn: Math.floor((cached.endsAt - now) / 1000) };
      }
      if (cached !== undefined && now >= cached.endsAt) cache.delete(variantKey);

      const flightKey = `${variantKey}\n${minTtlSeconds ?? ''}`;
      let flight = inFlight.get(flightKey);
      if (flight === undefined) {
        flight = fetchToken(credentialId, variantKey, minTtlSeconds, params).finally(() => {
          inFlight.delete(flightKey);
        });
        // A caller that aborted leaves the shared request unobserved; its failure is still handled.
        flight.catch(() => {});
        inFlight.set(flightKey, flight);
      }
      return withCallerSignal(flight, signal);
    },

    async reportRejected(credentialId, tokenOrFingerprint, reportOptions = {}) {
      if (typeof credentialId !== 'string' || !CREDENTIAL_ID_PATTERN.test(credentialId)) {
        throw invalid('credentialId must be 1-63 lower-case letters, digits or dashes.');
      }
      if (typeof tokenOrFingerprint !== 'string' || tokenOrFingerprint === '') {
        throw invalid('Pass the rejected token or its fingerprint.');
      }
      const givenFingerprint = FINGERPRINT.test(tokenOrFingerprint);
      const fp = givenFingerprint ? tokenOrFingerprint : fingerprint(tokenOrFingerprint);
      let token = givenFingerprint ? undefined : tokenOrFingerprint;
      let params = reportOptions.params;
      for (const [key, entry] of cache) {
        if (entry.token.credentialId !== credentialId || entry.token.fingerprint !== fp) continue;
        params ??= entry.params;
        token ??= entry.token.token;
        cache.delete(key);
      }
      rejected.push(fp);
      if (rejected.length > MAX_REJECTED_REMEMBERED) rejected.shift();
      if (token === undefined) {
        // The broker evicts only for a caller that proves it holds the token (its full SHA-256): a
        // fingerprint is public (listings, logs), so it can stand in only while this cache has the token.
        throw invalid("Pass the rejected token itself: its fingerprint is not in this client's cache.");
      }
      // Only the hash travels: the token itself never goes back over the wire.
      const body: Record<string, unknown> = { tokenSha256: sha256Hex(token) };
      if (params !== undefined) body.params = params;
      const answer = await withCallerSignal(
        send('POST', `/v1/credentials/${credentialId}/token/invalidate`, JSON.stringify(body)),
        reportOptions.signal,
      );
      const result = expect2xx(answer);
      if (!isRecord(result) || typeof result.invalidated !== 'boolean') {
        throw new BrokerClientError('INVALID_RESPONSE', 'The broker answered with an unreadable body.', {
          status: answer.status,
        });
      }
      return { invalidated: result.invalidated };
    },

    clearCache() {
      cache.clear();
    },
  };
};
