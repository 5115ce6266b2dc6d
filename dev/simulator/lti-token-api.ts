import { randomUUID } from 'node:crypto';
import {
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  SignJWT,
} from 'jose';
import type { LtiTokenState } from './lti-token-state.ts';
import { paramString } from './param-readers.ts';
import type { Reply } from './reply.ts';
import type { SimClock } from './sim-clock.ts';
import type { SimRequest } from './sim-request.ts';

/** What the handler needs from the simulator: SimState satisfies it once it carries `lti`. */
export interface LtiTokenContext {
  readonly clock: SimClock;
  readonly lti: LtiTokenState;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** app/controllers/oauth2_provider_controller.rb `token`: `oauth_token_additional_request_cost`, 200 by default. */
export const LTI_TOKEN_EXTRA_COST = 200;
/** lib/canvas/security/jwt_validator.rb `iat`: at most 5 minutes old, at most 30 s ahead. */
const MAX_IAT_AGE_SECONDS = 300;
const IAT_FUTURE_BUFFER_SECONDS = 30;
/** JwtValidator::REQUIRED_ASSERTIONS, plus `iss` (`require_iss: true`), in the order Canvas lists them. */
const REQUIRED = ['sub', 'aud', 'exp', 'iat', 'jti'] as const;

/**
 * Canvas's OAuth error replies (lib/canvas/oauth/request_error.rb, invalid_request_error.rb,
 * invalid_scope_error.rb): `{"error","error_description"}`, 400 unless said otherwise, and a 401
 * carries `WWW-Authenticate: Canvas OAuth 2.0` (oauth2_provider_controller.rb `oauth_error`).
 */
const oauthError = (reply: Reply, status: 400 | 401, error: string, description: string): void =>
  reply.json(
    status,
    { error, error_description: description },
    status === 401 ? { 'www-authenticate': 'Canvas OAuth 2.0' } : {},
  );

const unknownClient = (reply: Reply) => oauthError(reply, 401, 'invalid_client', 'unknown client');
const invalidRequest = (reply: Reply, description: string) =>
  oauthError(reply, 400, 'invalid_request', description);

/** ActiveSupport's `to_sentence(locale: :en)`. */
const toSentence = (items: readonly string[]): string => {
  if (items.length <= 1) return items.join('');
  if (items.length === 2) return `${items[0]} and ${items[1]}`;
  return `${items.slice(0, -1).join(', ')}, and ${items.at(-1)}`;
};

type KeyResolution =
  | { readonly ok: true; readonly verify: (jws: string) => Promise<boolean> }
  | { readonly ok: false; readonly message: string };

const verifyWith =
  (verify: (jws: string) => Promise<unknown>) =>
  async (jws: string): Promise<boolean> => {
    try {
      await verify(jws);
      return true;
    } catch {
      return false;
    }
  };

/**
 * lib/canvas/oauth/asymmetric_client_credentials_provider.rb `decoded_jwt` / `get_jwk_from_url`:
 * a key's `public_jwk` verifies RS256 directly; a `public_jwk_url` is fetched on every request and
 * the key picked from the set. Body not JSON → `JWK Error: Invalid JSON`; a fetch failure or no
 * matching key → `JWS signature invalid.`.
 */
const resolveToolKey = async (
  key: { readonly publicJwk?: JWK; readonly publicJwkUrl?: string },
  lti: LtiTokenState,
): Promise<KeyResolution> => {
  const invalid: KeyResolution = { ok: false, message: 'JWS signature invalid.' };
  if (key.publicJwkUrl !== undefined) {
    let text: string;
    try {
      const response = await lti.fetch(key.publicJwkUrl, {
        signal: AbortSignal.timeout(lti.jwksTimeoutMs),
        headers: { accept: 'application/json' },
      });
      text = await response.text();
    } catch {
      return invalid;
    }
    let set: unknown;
    try {
      set = JSON.parse(text);
    } catch {
      return { ok: false, message: 'JWK Error: Invalid JSON' };
    }
    if (typeof set !== 'object' || set === null || !Array.isArray((set as JSONWebKeySet).keys))
      return invalid;
    let jwks: ReturnType<typeof createLocalJWKSet>;
    try {
      jwks = createLocalJWKSet(set as JSONWebKeySet);
    } catch {
      return invalid;
    }
    return { ok: true, verify: verifyWith((jws) => compactVerify(jws, jwks, { algorithms: ['RS256'] })) };
  }
  if (key.publicJwk === undefined) return invalid;
  try {
    const publicKey = await importJWK(key.publicJwk, 'RS256');
    return {
      ok: true,
      verify: verifyWith((jws) => compactVerify(jws, publicKey, { algorithms: ['RS256'] })),
    };
  } catch {
    return invalid;
  }
};

/** JwtValidator's checks, all run (`full_errors: true`), messages joined with ` | `. */
const claimErrors = (
  claims: Record<string, unknown>,
  expectedAud: readonly string[],
  now: number,
): string[] => {
  const missing: string[] = REQUIRED.filter((name) => !Object.hasOwn(claims, name));
  if (!Object.hasOwn(claims, 'iss')) missing.push('iss');
  // A missing assertion stops the later checks (the validator turns full_errors off).
  if (missing.length > 0) return [`the following assertions are missing: ${missing.join(',')}`];
  const errors: string[] = [];
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((aud) => typeof aud === 'string' && expectedAud.includes(aud))) {
    errors.push("the 'aud' is invalid");
  }
  if (typeof claims.exp !== 'number') errors.push("the 'exp' must be a number");
  else if (claims.exp < now) errors.push('the JWT has expired');
  if (typeof claims.iat !== 'number') errors.push("the 'iat' must be a number");
  else {
    if (claims.iat < now - MAX_IAT_AGE_SECONDS) {
      errors.push(`the 'iat' must be less than ${MAX_IAT_AGE_SECONDS} seconds old`);
    }
    if (claims.iat > now + IAT_FUTURE_BUFFER_SECONDS) errors.push("the 'iat' must not be in the future");
  }
  return errors;
};

/**
 * `POST /login/oauth2/token` with `grant_type=client_credentials` and a JWT client assertion, in
 * Canvas's order (app/controllers/oauth2_provider_controller.rb `token`;
 * lib/canvas/oauth/grant_types/client_credentials.rb; grant_types/base_type.rb `token`):
 * 1. another grant type → 400 `unsupported_grant_type` (the simulator offers no other grant);
 * 2. no jwt-bearer assertion type → Canvas takes the client_id/secret path; the simulator has no
 *    such keys, so 401 `invalid_client`;
 * 3. the developer key is `sub` of the (unverified) assertion: unknown, not an integer, or
 *    inactive → 401 `invalid_client` `unknown client` (provider.rb `has_valid_key?`);
 * 4. signature (RS256 only) against the key's JWK or JWKS URL, then the claims
 *    (lib/canvas/security/jwt_validator.rb) → 400 `invalid_request` with Canvas's messages;
 *    `iss` must be present but, as in Canvas, is not compared with the client id; `aud` must
 *    include `{origin}/login/oauth2/token` (or a configured extra audience);
 * 5. `sub:jti` seen before → 400 `invalid_request` `the 'jti' is invalid` (the simulator's
 *    stricter default, see LtiTokenStateOptions.rejectReplayedJti);
 * 6. scopes: none, or one the key does not allow → 400 `invalid_scope` (provider.rb
 *    `valid_scopes?`, invalid_scope_error.rb);
 * 7. 200 `{"access_token","token_type":"Bearer","expires_in":3600,"scope"}`, charging 200 extra
 *    throttle units.
 */
export const handleLtiToken = async (
  req: SimRequest,
  reply: Reply,
  context: LtiTokenContext,
): Promise<void> => {
  const { lti, clock } = context;
  const refuse = () => {
    lti.counts.refused += 1;
  };
  const grantType = paramString(req.params, 'grant_type');
  if (grantType !== 'client_credentials') {
    refuse();
    return oauthError(
      reply,
      400,
      'unsupported_grant_type',
      'The grant_type you requested is not currently supported',
    );
  }
  if (paramString(req.params, 'client_assertion_type') !== JWT_BEARER) {
    refuse();
    return unknownClient(reply);
  }
  const assertion = paramString(req.params, 'client_assertion') ?? '';
  let unverified: Record<string, unknown>;
  try {
    unverified = decodeJwt(assertion) as Record<string, unknown>;
  } catch {
    // Unconfirmed: Canvas's `JSON::JWT.decode(jwt, :skip_verification)` raises on a malformed
    // assertion and nothing in the token action rescues it, so real Canvas may answer a 500.
    refuse();
    return invalidRequest(reply, 'JWS signature invalid.');
  }
  const clientId = unverified.sub;
  const key =
    (typeof clientId === 'string' || typeof clientId === 'number') && /^\d{1,20}$/.test(String(clientId))
      ? lti.key(String(clientId))
      : undefined;
  if (!key || key.active === false) {
    refuse();
    return unknownClient(reply);
  }
  const resolved = await resolveToolKey(key, lti);
  if (!resolved.ok) {
    refuse();
    return invalidRequest(reply, resolved.message);
  }
  if (!(await resolved.verify(assertion))) {
    refuse();
    return invalidRequest(reply, 'JWS signature invalid.');
  }
  const now = clock.nowSeconds();
  const expectedAud = [`${req.origin}/login/oauth2/token`, ...lti.extraAudiences];
  const errors = claimErrors(unverified, expectedAud, now);
  if (errors.length > 0) {
    refuse();
    return invalidRequest(reply, errors.join(' | '));
  }
  const exp = unverified.exp as number;
  if (lti.rejectReplayedJti && !lti.checkAndStoreNonce(key.clientId, String(unverified.jti), exp, now)) {
    refuse();
    return invalidRequest(reply, "the 'jti' is invalid");
  }
  const scopeText = paramString(req.params, 'scope') ?? paramString(req.params, 'scopes') ?? '';
  const scopes = scopeText.split(/\s+/).filter(Boolean);
  const missing = scopes.filter((scope) => !key.scopes.includes(scope));
  if (scopes.length === 0 || missing.length > 0) {
    refuse();
    return oauthError(
      reply,
      400,
      'invalid_scope',
      'A requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner. ' +
        `The following scopes were requested, but not granted: ${toSentence(missing)}`,
    );
  }
  req.charge(LTI_TOKEN_EXTRA_COST);
  const scope = scopes.join(' ');
  const iat = now;
  const tokenExp = iat + lti.lifetimeSeconds;
  // The claims Canvas puts in the token (client_credentials_provider.rb `generate_claims`).
  const accessToken = await new SignJWT({ scopes: scope })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('https://canvas.instructure.com')
    .setSubject(key.clientId)
    .setAudience(expectedAud[0] ?? '')
    .setIssuedAt(iat)
    .setExpirationTime(tokenExp)
    .setJti(randomUUID())
    .sign(lti.tokenSigningSecret);
  lti.remember(accessToken, { clientId: key.clientId, scopes, iat, exp: tokenExp });
  lti.counts.minted += 1;
  reply.json(200, {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: lti.lifetimeSeconds,
    scope,
  });
};
