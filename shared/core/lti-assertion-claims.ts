import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.ts';
import { ConfigInvalidError, InternalError } from './errors.ts';

/** The client assertion of the OAuth2 client-credentials grant, as Canvas validates it. */
export interface LtiAssertionClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

export interface LtiAssertionRequest {
  /** The developer key's client id: `iss` and `sub` (IMS Security Framework 4.1.1). */
  readonly clientId: string;
  /** The token endpoint URL the assertion is posted to, or a configured audience. */
  readonly audience: string;
}

export interface LtiAssertionClaimsDeps {
  readonly clock: Pick<Clock, 'now'>;
  /** Seconds from iat to exp, 1 to 300; default 300. */
  readonly lifetimeSeconds?: number;
  /** Defaults to crypto.randomUUID; injectable so a test can prove a repeated id is refused. */
  readonly newJti?: () => string;
}

/**
 * Canvas refuses an assertion whose iat is more than 5 minutes old or more than 30 s in the future,
 * or whose exp has passed (lib/canvas/security/jwt_validator.rb, `iat` / `exp`). So the assertion
 * is built for one request, right before it is sent, and lives at most 5 minutes: long enough for
 * an instance whose clock runs a few minutes behind Canvas to stay unexpired, short enough that a
 * captured assertion is worth little.
 */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

/**
 * Builds fresh assertion claims. `jti` is a random UUID per assertion and is never handed out twice
 * by this builder (ids are remembered until their assertion expires): IMS requires a unique jti and
 * a platform may refuse a replay, so a broken generator fails loudly instead of minting a replay.
 */
export const makeLtiAssertionClaims = ({
  clock,
  lifetimeSeconds = MAX_ASSERTION_LIFETIME_SECONDS,
  newJti = randomUUID,
}: LtiAssertionClaimsDeps): ((request: LtiAssertionRequest) => LtiAssertionClaims) => {
  if (
    !Number.isSafeInteger(lifetimeSeconds) ||
    lifetimeSeconds < 1 ||
    lifetimeSeconds > MAX_ASSERTION_LIFETIME_SECONDS
  ) {
    throw new ConfigInvalidError(
      `The assertion lifetime must be a whole number of seconds from 1 to ${MAX_ASSERTION_LIFETIME_SECONDS}.`,
    );
  }
  // jti -> exp (epoch s). Pruned on each call, so it holds at most one lifetime's worth of ids.
  const issued = new Map<string, number>();
  return ({ clientId, audience }) => {
    if (typeof clientId !== 'string' || clientId === '') {
      throw new ConfigInvalidError('An LTI client id is required for the assertion.');
    }
    if (typeof audience !== 'string' || audience === '') {
      throw new ConfigInvalidError('An LTI token audience is required for the assertion.');
    }
    const iat = Math.floor(clock.now() / 1000);
    const exp = iat + lifetimeSeconds;
    for (const [id, until] of issued) if (until < iat) issued.delete(id);
    const jti = newJti();
    if (typeof jti !== 'string' || jti === '' || issued.has(jti)) {
      throw new InternalError('The assertion id generator repeated an id; refusing to reuse a jti.');
    }
    issued.set(jti, exp);
    return { iss: clientId, sub: clientId, aud: audience, iat, exp, jti };
  };
};
