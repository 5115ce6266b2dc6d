/**
 * The broker's error taxonomy. Every failure the core and its ports can report carries a stable
 * `code` from this closed union; the edge maps codes to HTTP statuses in one table
 * (shared/edge/error-table.ts). Codes about the HTTP request itself (route, method, body size,
 * media type) are not the core's business: they live with the HTTP edge
 * (shared/edge/http-transport-errors.ts), which alone raises them.
 *
 * Messages are written for callers and operators and must never contain a token, a secret or an
 * Authorization header: build them from fixed text, ids and fingerprints only (see `safeText`).
 */
export type ErrorCode =
  // Caller input and authorization (4xx)
  | 'BAD_REQUEST'
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

/**
 * THE transient codes: the table, the key service, the secret store or the upstream is busy or
 * down, so a short wait and another try can succeed. The token engine turns these into
 * TOKEN_UNAVAILABLE (503 + Retry-After); rotation lets Secrets Manager retry the step.
 */
const TRANSIENT: ReadonlySet<string> = new Set<ErrorCode>([
  'UPSTREAM_RETRYABLE',
  'UPSTREAM_TIMEOUT',
  'SECRET_THROTTLED',
  'SECRET_UNAVAILABLE',
  'STORE_UNAVAILABLE',
  'CIPHER_UNAVAILABLE',
]);

/** Whether a failure with this code may pass if the same operation is tried again later. */
export const isTransient = (code: string): boolean => TRANSIENT.has(code);

/**
 * `C` is the literal code of a subclass, so `instanceof SecretThrottledError` narrows `code` to
 * `'SECRET_THROTTLED'`; a plain `BrokerError` carries any core code.
 */
export class BrokerError<C extends string = ErrorCode> extends Error {
  readonly code: C;
  readonly retryAfterSeconds: number | undefined;
  readonly upstreamStatus: number | undefined;
  readonly details: Readonly<Record<string, string | number | boolean>> | undefined;

  constructor(code: C, message: string, options: BrokerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.upstreamStatus = options.upstreamStatus;
    this.details = options.details;
  }

  /** Whether trying the same operation again later can succeed (TOKEN_UNAVAILABLE: the broker said so). */
  get retryable(): boolean {
    return this.code === 'TOKEN_UNAVAILABLE' || isTransient(this.code);
  }
}

type Opts = BrokerErrorOptions;

export class BadRequestError extends BrokerError<'BAD_REQUEST'> {
  constructor(message: string, options?: Opts) {
    super('BAD_REQUEST', message, options);
  }
}
/** Unknown and forbidden credentials deliberately share this one answer. */
export class PolicyDeniedError extends BrokerError<'POLICY_DENIED'> {
  constructor(message = 'The caller may not use this credential with these parameters.', options?: Opts) {
    super('POLICY_DENIED', message, options);
  }
}
export class MinTtlUnsatisfiableError extends BrokerError<'MIN_TTL_UNSATISFIABLE'> {
  constructor(message: string, options?: Opts) {
    super('MIN_TTL_UNSATISFIABLE', message, options);
  }
}
export class TokenUnavailableError extends BrokerError<'TOKEN_UNAVAILABLE'> {
  constructor(message: string, options: Opts & { retryAfterSeconds: number }) {
    super('TOKEN_UNAVAILABLE', message, options);
  }
}
export class UpstreamRetryableError extends BrokerError<'UPSTREAM_RETRYABLE'> {
  constructor(message: string, options?: Opts) {
    super('UPSTREAM_RETRYABLE', message, options);
  }
}
export class UpstreamTimeoutError extends BrokerError<'UPSTREAM_TIMEOUT'> {
  constructor(message: string, options?: Opts) {
    super('UPSTREAM_TIMEOUT', message, options);
  }
}
export class CredentialsRejectedError extends BrokerError<'UPSTREAM_CREDENTIALS_REJECTED'> {
  constructor(message: string, options?: Opts) {
    super('UPSTREAM_CREDENTIALS_REJECTED', message, options);
  }
}
export class UpstreamFatalError extends BrokerError<'UPSTREAM_FATAL'> {
  constructor(message: string, options?: Opts) {
    super('UPSTREAM_FATAL', message, options);
  }
}
export class UpstreamMalformedError extends BrokerError<'UPSTREAM_MALFORMED'> {
  constructor(message: string, options?: Opts) {
    super('UPSTREAM_MALFORMED', message, options);
  }
}
/** `/api/v1/jwts/refresh` answered `invalid refresh`: mint a new token instead. */
export class RefreshRejectedError extends BrokerError<'UPSTREAM_REFRESH_REJECTED'> {
  constructor(message: string, options?: Opts) {
    super('UPSTREAM_REFRESH_REJECTED', message, options);
  }
}
export class SecretNotFoundError extends BrokerError<'SECRET_NOT_FOUND'> {
  constructor(message: string, options?: Opts) {
    super('SECRET_NOT_FOUND', message, options);
  }
}
export class SecretAccessDeniedError extends BrokerError<'SECRET_ACCESS_DENIED'> {
  constructor(message: string, options?: Opts) {
    super('SECRET_ACCESS_DENIED', message, options);
  }
}
export class SecretThrottledError extends BrokerError<'SECRET_THROTTLED'> {
  constructor(message: string, options?: Opts) {
    super('SECRET_THROTTLED', message, options);
  }
}
export class SecretMalformedError extends BrokerError<'SECRET_MALFORMED'> {
  constructor(message: string, options?: Opts) {
    super('SECRET_MALFORMED', message, options);
  }
}
export class SecretUnavailableError extends BrokerError<'SECRET_UNAVAILABLE'> {
  constructor(message: string, options?: Opts) {
    super('SECRET_UNAVAILABLE', message, options);
  }
}
export class StoreUnavailableError extends BrokerError<'STORE_UNAVAILABLE'> {
  constructor(message: string, options?: Opts) {
    super('STORE_UNAVAILABLE', message, options);
  }
}
export class DecryptionFailedError extends BrokerError<'DECRYPT_FAILED'> {
  constructor(message: string, options?: Opts) {
    super('DECRYPT_FAILED', message, options);
  }
}
export class EncryptionFailedError extends BrokerError<'ENCRYPT_FAILED'> {
  constructor(message: string, options?: Opts) {
    super('ENCRYPT_FAILED', message, options);
  }
}
/** The key service (KMS) could not be reached or throttled; the ciphertext itself may be fine. */
export class CipherUnavailableError extends BrokerError<'CIPHER_UNAVAILABLE'> {
  constructor(message: string, options?: Opts) {
    super('CIPHER_UNAVAILABLE', message, options);
  }
}
/** The assertion signing key cannot sign (disabled, deleted, access denied, wrong key usage): not retried. */
export class SigningFailedError extends BrokerError<'SIGNING_FAILED'> {
  constructor(message: string, options?: Opts) {
    super('SIGNING_FAILED', message, options);
  }
}
export class ConfigInvalidError extends BrokerError<'CONFIG_INVALID'> {
  constructor(message: string, options?: Opts) {
    super('CONFIG_INVALID', message, options);
  }
}
export class InternalError extends BrokerError<'INTERNAL'> {
  constructor(message: string, options?: Opts) {
    super('INTERNAL', message, options);
  }
}

export const isBrokerError = (error: unknown): error is BrokerError => error instanceof BrokerError;

// TokenUnavailableError asks for a retry hint at the type level; re-stating one keeps the cause's.
type ErrorClass = new (message: string, options: BrokerErrorOptions) => BrokerError;

/** Each code's class, so an error re-stated elsewhere (say, in rotation terms) keeps its class. */
const CLASS_OF: Readonly<Record<ErrorCode, ErrorClass>> = {
  BAD_REQUEST: BadRequestError,
  POLICY_DENIED: PolicyDeniedError,
  MIN_TTL_UNSATISFIABLE: MinTtlUnsatisfiableError,
  TOKEN_UNAVAILABLE: TokenUnavailableError as ErrorClass,
  UPSTREAM_RETRYABLE: UpstreamRetryableError,
  UPSTREAM_TIMEOUT: UpstreamTimeoutError,
  UPSTREAM_CREDENTIALS_REJECTED: CredentialsRejectedError,
  UPSTREAM_FATAL: UpstreamFatalError,
  UPSTREAM_MALFORMED: UpstreamMalformedError,
  UPSTREAM_REFRESH_REJECTED: RefreshRejectedError,
  SECRET_NOT_FOUND: SecretNotFoundError,
  SECRET_ACCESS_DENIED: SecretAccessDeniedError,
  SECRET_THROTTLED: SecretThrottledError,
  SECRET_MALFORMED: SecretMalformedError,
  SECRET_UNAVAILABLE: SecretUnavailableError,
  STORE_UNAVAILABLE: StoreUnavailableError,
  DECRYPT_FAILED: DecryptionFailedError,
  ENCRYPT_FAILED: EncryptionFailedError,
  CIPHER_UNAVAILABLE: CipherUnavailableError,
  SIGNING_FAILED: SigningFailedError,
  CONFIG_INVALID: ConfigInvalidError,
  INTERNAL: InternalError,
};

/** An error of `code`'s own class, so `instanceof` and the code agree wherever it was rebuilt. */
export const brokerErrorOf = (
  code: ErrorCode,
  message: string,
  options: BrokerErrorOptions = {},
): BrokerError => new CLASS_OF[code](message, options);
