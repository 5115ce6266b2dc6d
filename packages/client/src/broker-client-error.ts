import type { AnswerCode } from '../../../shared/core/answer-code.ts';

/**
 * Why a broker call failed. The broker's own codes (from its `{"error": {"code"}}` body) pass
 * through unchanged; the rest describe what happened before or around the broker:
 *
 * - `GATEWAY_REJECTED`: API Gateway (or the local API) refused the request before the broker saw
 *   it: unsigned, unknown key, bad or stale signature, not allowed to invoke (403 `{"message"}`).
 * - `THROTTLED`: the gateway's throttling (429).
 * - `TIMEOUT`: no answer within the client's deadline (or the gateway's 504).
 * - `NETWORK_ERROR`: the endpoint could not be reached.
 * - `ABORTED`: the caller's own signal aborted its wait.
 * - `INVALID_RESPONSE`: an answer the client cannot read as the broker's.
 * - `CREDENTIALS_UNAVAILABLE`: no AWS credentials to sign with.
 * - `INVALID_ARGUMENT`: the call itself was malformed (caught before anything was sent).
 * - `HTTP_ERROR`: any other non-2xx answer without a broker error body.
 */
export type BrokerClientErrorCode =
  | AnswerCode
  | 'GATEWAY_REJECTED'
  | 'THROTTLED'
  | 'TIMEOUT'
  | 'NETWORK_ERROR'
  | 'ABORTED'
  | 'INVALID_RESPONSE'
  | 'CREDENTIALS_UNAVAILABLE'
  | 'INVALID_ARGUMENT'
  | 'HTTP_ERROR';

export interface BrokerClientErrorOptions {
  /** HTTP status of the answer; 0 when there was none. */
  readonly status?: number;
  readonly retryAfterSeconds?: number;
  /** The broker's (or gateway's) request id, for support. */
  readonly requestId?: string;
  readonly cause?: unknown;
}

const RETRYABLE_CODES: ReadonlySet<BrokerClientErrorCode> = new Set<BrokerClientErrorCode>([
  'TOKEN_UNAVAILABLE',
  'THROTTLED',
  'TIMEOUT',
  'NETWORK_ERROR',
]);

/**
 * The one error type of the client library. Its message is built from the broker's or gateway's
 * public message and fixed text only: it never contains a token, a secret or a signature.
 */
export class BrokerClientError extends Error {
  readonly code: BrokerClientErrorCode;
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;
  readonly requestId: string | undefined;

  constructor(code: BrokerClientErrorCode, message: string, options: BrokerClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BrokerClientError';
    this.code = code;
    this.status = options.status ?? 0;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.requestId = options.requestId;
  }

  /**
   * Whether the same call may succeed later (after `retryAfterSeconds` when set). The client never
   * retries by itself: the broker already retried upstream, and a second retry layer multiplies load.
   */
  get retryable(): boolean {
    return RETRYABLE_CODES.has(this.code) || this.status === 503;
  }
}
