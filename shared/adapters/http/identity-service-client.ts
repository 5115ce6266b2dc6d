import { UpstreamMalformedError } from '../../core/errors.ts';
import type { IssuedToken } from '../../core/upstream-client.ts';
import { basicAuthorization } from './authorization-header.ts';
import { classifyFailure } from './classify-failure.ts';
import { inspectCompactJose } from './compact-jose.ts';
import type { HttpClientDeps } from './http-client-deps.ts';
import { issuedToken } from './issued-token.ts';
import { jsonObjectBody, requiredString } from './json-body.ts';
import { responseAnchor } from './response-anchor.ts';
import { sendUpstreamRequest } from './send-upstream-request.ts';

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface IdentityServiceClient {
  /** Logs in with client credentials (there is no refresh token: renewing means logging in again). */
  login(credentials: ClientCredentials, signal?: AbortSignal): Promise<IssuedToken>;
}

const OPERATION = 'Identity Service login';

/** The DAP / Canvas Data 2 Identity Service, contract section 1. */
export const makeIdentityServiceClient = (deps: HttpClientDeps): IdentityServiceClient => ({
  async login({ clientId, clientSecret }, signal) {
    const authorization = basicAuthorization(clientId, clientSecret);
    const response = await sendUpstreamRequest(deps, {
      operation: OPERATION,
      method: 'POST',
      url: '/ids/auth/login',
      headers: { authorization },
      form: new URLSearchParams({ grant_type: 'client_credentials' }),
      signal,
    });
    if (response.status !== 200)
      throw classifyFailure(response, { operation: OPERATION, service: 'identity-service' });

    const body = jsonObjectBody(response, OPERATION);
    const token = requiredString(body, 'access_token', response, OPERATION);
    const expiresIn = typeof body.expires_in === 'string' ? Number(body.expires_in) : body.expires_in;
    if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn)) {
      throw new UpstreamMalformedError(
        `${OPERATION}: response field "expires_in" is missing or not a number`,
        {
          upstreamStatus: response.status,
          details: { operation: OPERATION },
        },
      );
    }
    const jose = inspectCompactJose(token);
    if (jose?.form !== 'jws') {
      throw new UpstreamMalformedError(`${OPERATION}: access_token is not a signed JWT`, {
        upstreamStatus: response.status,
        details: { operation: OPERATION },
      });
    }

    const issuedAt = responseAnchor(response);
    const fromExpiresIn = issuedAt + expiresIn * 1000;
    // Both stamps are on the upstream's clock; trust whichever ends first.
    const expiresAt = jose.exp === undefined ? fromExpiresIn : Math.min(fromExpiresIn, jose.exp * 1000);
    return issuedToken(
      { token, issuedAt, expiresAt, readableExpiry: jose.exp !== undefined },
      response,
      OPERATION,
    );
  },
});
