/**
 * Limits that the edge, the config parser, the core, the HTTP clients and the construct's request
 * models must agree on. Each is written here once; shared/config/limits.ts passes them to infra.
 */

/**
 * No Instructure token the broker serves lives longer than a day (contract sections 1-4 give about
 * an hour), so a configured lifetime, a caller's `minTtlSeconds` and an issued token's lifetime are
 * all capped here: a longer one is a mistake or a malformed answer.
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;

/** A caller may ask for at most this much remaining life (the API model and the edge both check it). */
export const MAX_MIN_TTL_SECONDS = MAX_TOKEN_LIFETIME_SECONDS;

/** Proof of possession of a token to invalidate: the lower-case hex SHA-256 of the whole token. */
export const TOKEN_SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** JWKS Cache-Control max-age when none is configured: short enough that a rotation waits minutes. */
export const DEFAULT_JWKS_MAX_AGE_SECONDS = 300;

/** Above a day, a signing-key rotation would have to wait that long before the new key may sign. */
export const MAX_JWKS_MAX_AGE_SECONDS = 86_400;

/** Keys still published after a rotation: more than this is a misconfiguration, not an overlap. */
export const MAX_PREVIOUS_SIGNING_KEYS = 5;

/**
 * A KMS key ARN, never an alias ARN: an alias can be re-pointed, and a JWKS `kid` must name one key
 * for good (the jwks function and the construct both refuse aliases for that reason).
 */
export const KMS_KEY_ONLY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/;
