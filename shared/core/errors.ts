/**
 * The broker's error taxonomy. Every failure the broker can report carries a stable `code` from
 * this closed union; the edge maps codes to HTTP statuses in one table (shared/edge/error-table.ts).
 *
 * Messages are written for callers and operators and must never contain a token, a secret or an
 * Authorization header: build them from fixed text, ids and fingerprints only (see `safeText`).
 */
export type ErrorCode =
  // Caller input and authorization (4xx)
  | 'BAD_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'POLICY_DENIED'
  | 'MIN_TTL_UNSATISFIABLE'
  // No valid token can be served right now (503 + Retry-After)
  | 'TOKEN_UNAVAILABLE'
  // Upstream (Instructure) failures, classified per docs/instructure-contract.md section 6
  | 'UPSTREAM_RETRYABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_CREDENTIALS_REJECTED'
  | 'UPSTREAM_FATAL'
  | 'UPSTREAM_MALFORMED'
  | 'UPSTREAM_REFRESH_REJECTED'
  // Secret source
  | 'SECRET_NOT_FOUND'
  | 'SECRET_ACCESS_DENIED'
  | 'SECRET_THROTTLED'
  | 'SECRET_MALFORMED'
  | 'SECRET_UNAVAILABLE'
  // Token store and envelope cipher
  | 'STORE_UNAVAILABLE'
  | 'DECRYPT_FAILED'
  | 'ENCRYPT_FAILED'
  | 'CIPHER_UNAVAILABLE'
  // Assertion signing key (lti-advantage): the key cannot sign at all (disabled, missing, denied)
  | 'SIGNING_FAILED'
  // Configuration and everything else
  | 'CONFIG_INVALID'
  | 'INTERNAL';

export interface BrokerErrorOptions {
  cause?: unknown;
  /** Seconds a caller (or the broker itself) should wait before trying again. */
  retryAfterSeconds?: number;
  /** Upstream HTTP status, when the error came from an upstream response. */
  upstreamStatus?: number;
  /** Extra, non-secret facts for logs (ids, field names, fingerprints). */
  details?: Readonly<Record<string, string | number | boolean>>;
}

const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'TOKEN_UNAVAILABLE',
  'UPSTREAM_RETRYABLE',
  'UPSTREAM_TIMEOUT',
  'SECRET_THROTTLED',
  'SECRET_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'CIPHER_UNAVAILABLE',
]);

export class BrokerError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterSeconds: number | undefined;
  readonly upstreamStatus: number | undefined;
  readonly details: Readonly<Record<string, string | number | boolean>> | undefined;

  constructor(code: ErrorCode, message: string, options: BrokerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.upstreamStatus = options.upstreamStatus;
    this.details = options.details;
  }

  /** Whether trying the same operation again later can succeed. */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

type Opts = BrokerErrorOptions;

export class BadRequestError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('BAD_REQUEST', message, options);
  }
}
export class PayloadTooLargeError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('PAYLOAD_TOO_LARGE', message, options);
  }
}
export class UnsupportedMediaTypeError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('UNSUPPORTED_MEDIA_TYPE', message, options);
  }
}
export class RouteNotFoundError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('ROUTE_NOT_FOUND', message, options);
  }
}
export class MethodNotAllowedError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('METHOD_NOT_ALLOWED', message, options);
  }
}
/** Unknown and forbidden credentials deliberately share this one answer. */
export class PolicyDeniedError extends BrokerError {
  constructor(message = 'The caller may not use this credential with these parameters.', options?: Opts) {
    super('POLICY_DENIED', message, options);
  }
}
export class MinTtlUnsatisfiableError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('MIN_TTL_UNSATISFIABLE', message, options);
  }
}
export class TokenUnavailableError extends BrokerError {
  constructor(message: string, options: Opts & { retryAfterSeconds: number }) {
    super('TOKEN_UNAVAILABLE', message, options);
  }
}
export class UpstreamRetryableError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('UPSTREAM_RETRYABLE', message, options);
  }
}
export class UpstreamTimeoutError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('UPSTREAM_TIMEOUT', message, options);
  }
}
export class CredentialsRejectedError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('UPSTREAM_CREDENTIALS_REJECTED', message, options);
  }
}
export class UpstreamFatalError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('UPSTREAM_FATAL', message, options);
  }
}
export class UpstreamMalformedError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('UPSTREAM_MALFORMED', message, options);
  }
}
/** `/api/v1/jwts/refresh` answered `invalid refresh`: mint a new token instead. */
export class RefreshRejectedError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('UPSTREAM_REFRESH_REJECTED', message, options);
  }
}
export class SecretNotFoundError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('SECRET_NOT_FOUND', message, options);
  }
}
export class SecretAccessDeniedError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('SECRET_ACCESS_DENIED', message, options);
  }
}
export class SecretThrottledError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('SECRET_THROTTLED', message, options);
  }
}
export class SecretMalformedError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('SECRET_MALFORMED', message, options);
  }
}
export class SecretUnavailableError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('SECRET_UNAVAILABLE', message, options);
  }
}
export class StoreUnavailableError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('STORE_UNAVAILABLE', message, options);
  }
}
export class DecryptionFailedError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('DECRYPT_FAILED', message, options);
  }
}
export class EncryptionFailedError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('ENCRYPT_FAILED', message, options);
  }
}
/** The key service (KMS) could not be reached or throttled; the ciphertext itself may be fine. */
export class CipherUnavailableError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('CIPHER_UNAVAILABLE', message, options);
  }
}
/** The assertion signing key cannot sign (disabled, deleted, access denied, wrong key usage): not retried. */
export class SigningFailedError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('SIGNING_FAILED', message, options);
  }
}
export class ConfigInvalidError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('CONFIG_INVALID', message, options);
  }
}
export class InternalError extends BrokerError {
  constructor(message: string, options?: Opts) {
    super('INTERNAL', message, options);
  }
}

export const isBrokerError = (error: unknown): error is BrokerError => error instanceof BrokerError;
