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
