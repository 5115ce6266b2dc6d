import { BrokerError, UpstreamRetryableError, UpstreamTimeoutError } from '../../core/errors.ts';
import { DEFAULT_MAX_BODY_BYTES, type HttpClientDeps } from './http-client-deps.ts';
import { readBoundedBody } from './read-bounded-body.ts';
import { isStaleSocketReset, observeSocket, type SocketObservation } from './socket-reuse-observer.ts';
import type { UpstreamResponse } from './upstream-response.ts';
import { upstreamUrl } from './upstream-url.ts';

export interface UpstreamRequestSpec {
  /** Names the call in error messages, e.g. `Canvas JWT create`. */
  readonly operation: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A path under the base URL, or an absolute URL already checked to be on the base URL's origin. */
  readonly url: string | URL;
  /** Secret-bearing headers (Authorization) go here; they never reach an error or a log line. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly form?: URLSearchParams;
  readonly signal?: AbortSignal | undefined;
}

const networkCode = (error: unknown): string | undefined => {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
};

/** Reports the response `Date` against the local clock around the exchange (headers arrival). */
const observeDate = (deps: HttpClientDeps, headers: Headers, sentAt: number): void => {
  if (!deps.observeDate) return;
  const receivedAt = deps.clock.now();
  const header = headers.get('date');
  const serverDate = header === null ? Number.NaN : Date.parse(header);
  if (!Number.isNaN(serverDate)) deps.observeDate({ sentAt, receivedAt, serverDate });
};

/**
 * The one way the Instructure clients talk HTTP: a deadline over the whole exchange (headers and
 * body), always a User-Agent, no redirects (a redirect could carry the bearer token to another
 * host), a bounded body, and transport failures already translated into broker errors. Any HTTP
 * status comes back as a response; classifying it is the caller's job (`classifyFailure`).
 *
 * A request that a reused keep-alive socket reset before any response is sent once more on a new
 * connection (never more than once, never after a response began).
 *
 * A caller abort rejects with the caller's own reason (the same convention as `Clock.sleep`), so
 * the caller can tell its own cancellation from an upstream failure.
 */
export const sendUpstreamRequest = async (
  deps: HttpClientDeps,
  spec: UpstreamRequestSpec,
): Promise<UpstreamResponse> => {
  const { operation } = spec;
  const doFetch = deps.fetch ?? globalThis.fetch;
  const deadline = AbortSignal.timeout(deps.timeoutMs);
  const signal = spec.signal ? AbortSignal.any([deadline, spec.signal]) : deadline;
  const url = typeof spec.url === 'string' ? upstreamUrl(deps.baseUrl, spec.url) : spec.url;
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...spec.headers,
    'user-agent': deps.userAgent,
  };
  if (spec.form) headers['content-type'] = 'application/x-www-form-urlencoded';

  const send = (observation: SocketObservation) =>
    observeSocket(observation, () =>
      doFetch(url, {
        method: spec.method,
        headers,
        ...(spec.form ? { body: spec.form.toString() } : {}),
        redirect: 'manual',
        signal,
      }),
    );
  const sentAt = deps.clock.now();
  try {
    const first: SocketObservation = { reused: false, answered: false };
    let response: Response;
    try {
      response = await send(first);
    } catch (error) {
      // At most ONE reconnect, and only for the keep-alive race (see isStaleSocketReset): the
      // upstream never saw the request, so this is the same attempt, not a second mint. Same
      // deadline, same sentAt (the expiry anchor stays the earliest send).
      if (signal.aborted || !isStaleSocketReset(error, first)) throw error;
      response = await send({ reused: false, answered: false });
    }
    // A reconnect keeps the first sentAt: the sample's interval only widens, it stays true.
    observeDate(deps, response.headers, sentAt);
    const text = await readBoundedBody(response, deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, operation);
    return { status: response.status, headers: response.headers, text, sentAt, receivedAt: deps.clock.now() };
  } catch (error) {
    if (error instanceof BrokerError) throw error;
    if (spec.signal?.aborted) throw spec.signal.reason;
    if (deadline.aborted) {
      throw new UpstreamTimeoutError(`${operation}: no complete response within ${deps.timeoutMs} ms`, {
        cause: error,
        details: { operation, timeoutMs: deps.timeoutMs },
      });
    }
    const code = networkCode(error);
    throw new UpstreamRetryableError(`${operation}: network error${code ? ` (${code})` : ''}`, {
      cause: error,
      details: code ? { operation, networkCode: code } : { operation },
    });
  }
};
