import type { AnswerCode } from '../core/answer-code.ts';
import { isBrokerError } from '../core/errors.ts';

/**
 * How one error code is answered. A row without `publicMessage` exposes the error's own message
 * (4xx: the caller's mistake, worded by us for the caller); a row with one replaces it, so a 5xx
 * never carries internals (the middy http-error-handler rule: only < 500 details are exposed).
 * `publicCode` folds internal failure kinds into the few codes a caller can act on.
 */
export interface ErrorMapping {
  readonly status: number;
  readonly publicCode: AnswerCode;
  readonly publicMessage?: string;
  /** Answer with `Retry-After`: waiting can help, and the caller should not retry sooner. */
  readonly retryAfter?: boolean;
}

const UNAVAILABLE: ErrorMapping = {
  status: 503,
  publicCode: 'TOKEN_UNAVAILABLE',
  publicMessage: 'No valid token is available right now; retry after the Retry-After delay.',
  retryAfter: true,
};
const UPSTREAM: ErrorMapping = {
  status: 502,
  publicCode: 'UPSTREAM_FATAL',
  publicMessage: 'The upstream token issuer refused the request.',
};
const INTERNAL: ErrorMapping = { status: 500, publicCode: 'INTERNAL', publicMessage: 'Internal error.' };

/** THE table from error code to HTTP answer. Every core and transport code has a row (the type enforces it). */
export const ERROR_TABLE: Readonly<Record<AnswerCode, ErrorMapping>> = {
  BAD_REQUEST: { status: 400, publicCode: 'BAD_REQUEST' },
  POLICY_DENIED: { status: 403, publicCode: 'POLICY_DENIED' },
  ROUTE_NOT_FOUND: { status: 404, publicCode: 'ROUTE_NOT_FOUND' },
  METHOD_NOT_ALLOWED: { status: 405, publicCode: 'METHOD_NOT_ALLOWED' },
  PAYLOAD_TOO_LARGE: { status: 413, publicCode: 'PAYLOAD_TOO_LARGE' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, publicCode: 'UNSUPPORTED_MEDIA_TYPE' },
  // 422, not 400: the request is well-formed, but no token of this credential ever lives that
  // long, so retrying the same request can never succeed (unlike a 503).
  MIN_TTL_UNSATISFIABLE: { status: 422, publicCode: 'MIN_TTL_UNSATISFIABLE' },
  // Transient: the broker, the table, the key service or the upstream is busy or down.
  TOKEN_UNAVAILABLE: UNAVAILABLE,
  UPSTREAM_RETRYABLE: UNAVAILABLE,
  UPSTREAM_TIMEOUT: UNAVAILABLE,
  SECRET_THROTTLED: UNAVAILABLE,
  SECRET_UNAVAILABLE: UNAVAILABLE,
  STORE_UNAVAILABLE: UNAVAILABLE,
  CIPHER_UNAVAILABLE: UNAVAILABLE,
  // The upstream said no for good; the operator has to act (rotate, fix config), not the caller.
  UPSTREAM_CREDENTIALS_REJECTED: UPSTREAM,
  UPSTREAM_FATAL: UPSTREAM,
  UPSTREAM_MALFORMED: UPSTREAM,
  UPSTREAM_REFRESH_REJECTED: UPSTREAM,
  SECRET_NOT_FOUND: INTERNAL,
  SECRET_ACCESS_DENIED: INTERNAL,
  SECRET_MALFORMED: INTERNAL,
  DECRYPT_FAILED: INTERNAL,
  ENCRYPT_FAILED: INTERNAL,
  SIGNING_FAILED: INTERNAL,
  CONFIG_INVALID: INTERNAL,
  INTERNAL,
};

/** The codes a caller can ever see in an error body. */
export const PUBLIC_ERROR_CODES: ReadonlySet<AnswerCode> = new Set(
  Object.values(ERROR_TABLE).map((row) => row.publicCode),
);

export interface PublicError {
  readonly status: number;
  readonly code: AnswerCode;
  readonly message: string;
  /** Whole seconds, present exactly when the answer carries `Retry-After`. */
  readonly retryAfterSeconds?: number;
}

const DEFAULT_RETRY_AFTER_SECONDS = 5;
const MAX_RETRY_AFTER_SECONDS = 3_600;
const MAX_MESSAGE_LENGTH = 300;

const retryAfterOf = (seconds: number | undefined): number =>
  typeof seconds === 'number' && Number.isFinite(seconds)
    ? Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(seconds)))
    : DEFAULT_RETRY_AFTER_SECONDS;

// 4xx messages are ours, but may quote caller input: keep them printable and bounded.
const clean = (message: string): string => {
  const printable = message.replace(/[^\x20-\x7E]/g, ' ');
  return printable.length > MAX_MESSAGE_LENGTH ? `${printable.slice(0, MAX_MESSAGE_LENGTH)}...` : printable;
};

/**
 * What a caller is told about `error`. Anything that is not a BrokerError (a bug, a vendor error
 * that escaped its adapter) is a 500 INTERNAL with a fixed message.
 */
export const toPublicError = (error: unknown): PublicError => {
  if (!isBrokerError(error)) return { status: 500, code: 'INTERNAL', message: INTERNAL.publicMessage! };
  // A BrokerError's code is a core code or, from the edge itself, a transport code.
  const row = ERROR_TABLE[error.code as AnswerCode] ?? INTERNAL;
  const message = row.publicMessage ?? clean(error.message);
  return row.retryAfter
    ? {
        status: row.status,
        code: row.publicCode,
        message,
        retryAfterSeconds: retryAfterOf(error.retryAfterSeconds),
      }
    : { status: row.status, code: row.publicCode, message };
};
