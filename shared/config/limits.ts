// The construct may read only shared/config (its request models must match the edge's checks), so
// the core's limits reach it through here; they are written once, in shared/core/limits.ts.
export {
  KMS_KEY_ONLY_ARN,
  MAX_JWKS_MAX_AGE_SECONDS,
  MAX_MIN_TTL_SECONDS,
  MAX_PREVIOUS_SIGNING_KEYS,
  TOKEN_SHA256_PATTERN,
} from '../core/limits.ts';
