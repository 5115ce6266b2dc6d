// The construct may read only shared/config (its request models must match the edge's checks), so
// the core's limits reach it through here; they are written once, in shared/core/limits.ts.
export { MAX_MIN_TTL_SECONDS, TOKEN_SHA256_PATTERN } from '../core/limits.ts';
