import {
  BadRequestError,
  type BrokerError,
  type BrokerErrorOptions,
  ConfigInvalidError,
  CredentialsRejectedError,
  UpstreamFatalError,
  UpstreamMalformedError,
} from '../../core/errors.ts';
import { safeText } from '../../core/safe-text.ts';
import type { IssuedToken } from '../../core/upstream-client.ts';
import { classifyFailure } from './classify-failure.ts';
import type { HttpClientDeps } from './http-client-deps.ts';
import { issuedToken } from './issued-token.ts';
import { jsonObjectBody, requiredString } from './json-body.ts';
import { responseAnchor } from './response-anchor.ts';
import { sendUpstreamRequest } from './send-upstream-request.ts';
import type { UpstreamResponse } from './upstream-response.ts';
import { upstreamUrl } from './upstream-url.ts';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Canvas's token route (config/routes.rb `oauth2_token`), relative to the Canvas base URL. */
export const LTI_TOKEN_PATH = '/login/oauth2/token';

export interface LtiAdvantageClientDeps extends HttpClientDeps {
  /**
   * The absolute token endpoint when it is not `{baseUrl}/login/oauth2/token`: Instructure-hosted
   * Canvas serves every account's LTI token endpoint from `https://sso.canvaslms.com` (beta, test:
   * `sso.beta.`, `sso.test.`).
   */
  readonly tokenUrl?: string;
}

export interface LtiTokenRequest {
  /** A signed client assertion (compact JWS): a bearer credential for its few minutes of life. */
  readonly clientAssertion: string;
  /** The scopes to ask for; the token is refused unless Canvas grants exactly these. */
  readonly scopes: readonly string[];
  readonly signal?: AbortSignal;
}

export interface LtiIssuedToken extends IssuedToken {
  /** The granted scopes, sorted: always the requested set. */
  readonly scopes: readonly string[];
}

export interface LtiAdvantageClient {
  /** Where assertions are posted; also their default `aud` (Canvas compares `aud` with this URL). */
  readonly tokenUrl: URL;
  requestToken(request: LtiTokenRequest): Promise<LtiIssuedToken>;
}

const OPERATION = 'LTI Advantage token';

/** Sorted and de-duplicated: the form a scope set is compared and keyed in. */
export const normalizeScopes = (scopes: readonly string[]): string[] => [...new Set(scopes)].sort();

const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 section 3.3 scope-token

interface OAuthErrorBody {
  readonly error: string;
  readonly description?: string;
}

/** Canvas's OAuth error body `{"error": "...", "error_description": "..."}` (lib/canvas/oauth/request_error.rb `as_json`). */
const oauthErrorOf = (text: string): OAuthErrorBody | undefined => {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const { error, error_description: description } = body as Record<string, unknown>;
    if (typeof error !== 'string') return undefined;
    return typeof description === 'string' ? { error, description } : { error };
  } catch {
    return undefined;
  }
};

/**
 * Canvas's token endpoint failures (app/controllers/oauth2_provider_controller.rb `token` and
 * `oauth_error`; lib/canvas/oauth/grant_types/base_type.rb `token`; grant_types/client_credentials.rb
 * `validate_type`):
 * - 401 `invalid_client` (`unknown client`: no active developer key with that client id, with
 *   `WWW-Authenticate: Canvas OAuth 2.0`) → credentials rejected;
 * - 400 `invalid_request` `JWS signature invalid.` (the developer key's JWK / JWKS URL does not
 *   hold the key that signed: not registered yet, or rotated away) → credentials rejected, so the
 *   engine re-reads the credential once and then fails clearly;
 * - 400 `invalid_scope` (a scope the developer key does not allow) → fatal: no retry helps;
 * - 400 `invalid_request` for anything else in the assertion (aud, exp, iat, missing claims) and
 *   `unsupported_grant_type` → fatal;
 * - 5xx, 429, 408 and the 403 rate-limit text → retryable, as everywhere on Canvas.
 */
const classifyTokenFailure = (response: UpstreamResponse): BrokerError => {
  const { status } = response;
  const oauth = oauthErrorOf(response.text);
  const transient = status >= 500 || status === 429 || status === 408;
  if (oauth === undefined || transient || status < 400) {
    return classifyFailure(response, { operation: OPERATION, service: 'canvas' });
  }
  const description = oauth.description === undefined ? '' : `: ${safeText(oauth.description)}`;
  const message = `${OPERATION} failed: HTTP ${status}: ${safeText(oauth.error, 64)}${description}`;
  const options: BrokerErrorOptions = {
    upstreamStatus: status,
    details: { operation: OPERATION, upstreamErrorType: safeText(oauth.error, 64) },
  };
  if (oauth.error === 'invalid_client' || status === 401)
    return new CredentialsRejectedError(message, options);
  if (oauth.error === 'invalid_request' && oauth.description === 'JWS signature invalid.') {
    return new CredentialsRejectedError(message, options);
  }
  return new UpstreamFatalError(message, options);
};

const tokenUrlOf = (deps: LtiAdvantageClientDeps): URL => {
  if (deps.tokenUrl === undefined) return upstreamUrl(deps.baseUrl, LTI_TOKEN_PATH);
  let url: URL;
  try {
    url = new URL(deps.tokenUrl);
  } catch {
    throw new ConfigInvalidError('The LTI token endpoint must be an absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigInvalidError('The LTI token endpoint must be an http(s) URL.');
  }
  return url;
};

const malformed = (response: UpstreamResponse, what: string) =>
  new UpstreamMalformedError(`${OPERATION}: ${what}`, {
    upstreamStatus: response.status,
    details: { operation: OPERATION },
  });

/**
 * The OAuth2 client-credentials grant with a JWT client assertion, as Canvas implements it for LTI
 * Advantage services (`POST /login/oauth2/token`). Success is 200
 * `{"access_token","token_type":"Bearer","expires_in":3600,"scope":"<space-separated>"}`
 * (lib/canvas/oauth/client_credentials_provider.rb `generate_token`).
 */
export const makeLtiAdvantageClient = (deps: LtiAdvantageClientDeps): LtiAdvantageClient => {
  const tokenUrl = tokenUrlOf(deps);
  return {
    tokenUrl,
    async requestToken({ clientAssertion, scopes, signal }) {
      const wanted = normalizeScopes(scopes);
      if (wanted.length === 0) {
        // Canvas answers invalid_scope for an empty scope (lib/canvas/oauth/provider.rb `valid_scopes?`).
        throw new BadRequestError('An LTI Advantage token needs at least one scope.');
      }
      if (!wanted.every((scope) => SCOPE.test(scope))) {
        throw new BadRequestError('An LTI Advantage scope must be printable text without spaces or quotes.');
      }
      const response = await sendUpstreamRequest(deps, {
        operation: OPERATION,
        method: 'POST',
        url: tokenUrl,
        form: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: CLIENT_ASSERTION_TYPE,
          client_assertion: clientAssertion,
          scope: wanted.join(' '),
        }),
        signal,
      });
      if (response.status !== 200) throw classifyTokenFailure(response);

      const body = jsonObjectBody(response, OPERATION);
      const token = requiredString(body, 'access_token', response, OPERATION);
      const tokenType = requiredString(body, 'token_type', response, OPERATION);
      if (tokenType.toLowerCase() !== 'bearer') throw malformed(response, 'token_type is not Bearer');
      const expiresIn = typeof body.expires_in === 'string' ? Number(body.expires_in) : body.expires_in;
      if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn)) {
        throw malformed(response, 'response field "expires_in" is missing or not a number');
      }
      const scope = typeof body.scope === 'string' ? body.scope : undefined;
      if (scope === undefined) throw malformed(response, 'response field "scope" is missing');
      const granted = normalizeScopes(scope.split(/\s+/).filter(Boolean));
      // A token is never served for a scope set it was not minted for.
      if (granted.length !== wanted.length || granted.some((value, index) => value !== wanted[index])) {
        throw malformed(response, 'the granted scopes differ from the requested scopes');
      }
      const issuedAt = responseAnchor(response);
      const issued = issuedToken(
        { token, issuedAt, expiresAt: issuedAt + expiresIn * 1000, readableExpiry: false },
        response,
        OPERATION,
      );
      return { ...issued, scopes: granted };
    },
  };
};
