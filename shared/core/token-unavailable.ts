import { TokenUnavailableError } from './errors.ts';

const MESSAGE = 'No valid token is available right now; try again later.';

/**
 * The 503 of a caller with no valid token, retryable after `retryAfterMs` (whole seconds, at least
 * one). `details.reason` names why (a failure code, REFRESH_IN_PROGRESS, CREDENTIAL_THROTTLED, ...).
 */
export const tokenUnavailable = (
  retryAfterMs: number,
  details: { readonly reason: string } & Readonly<Record<string, string | number | boolean>>,
  cause?: unknown,
): TokenUnavailableError =>
  new TokenUnavailableError(MESSAGE, {
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
    details,
    ...(cause === undefined ? {} : { cause }),
  });
