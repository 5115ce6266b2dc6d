import { UpstreamMalformedError } from '../../core/errors.ts';
import type { IssuedToken } from '../../core/upstream-client.ts';
import { bearerAuthorization } from './authorization-header.ts';
import { classifyFailure } from './classify-failure.ts';
import { inspectCompactJose } from './compact-jose.ts';
import type { HttpClientDeps } from './http-client-deps.ts';
import { CANVAS_TOKEN_LIFETIME_MS, issuedToken } from './issued-token.ts';
import { jsonObjectBody, requiredString } from './json-body.ts';
import { responseAnchor } from './response-anchor.ts';
import { sendUpstreamRequest } from './send-upstream-request.ts';

export interface InstAccessClient {
  /** `POST /api/v1/inst_access_tokens`. There is no refresh: mint again. */
  create(input: { readonly accessToken: string }, signal?: AbortSignal): Promise<IssuedToken>;
}

const OPERATION = 'InstAccess token create';

/**
 * InstAccess tokens, contract section 4. Canvas answers 201 (200 is accepted too). The token is a
 * raw compact JWE encrypted to the API Gateway, so its `exp` is unreadable: `iat + 3600` from the
 * conservative anchor.
 */
export const makeInstAccessClient = (deps: HttpClientDeps): InstAccessClient => ({
  async create({ accessToken }, signal) {
    const response = await sendUpstreamRequest(deps, {
      operation: OPERATION,
      method: 'POST',
      url: '/api/v1/inst_access_tokens',
      headers: { authorization: bearerAuthorization(accessToken) },
      signal,
    });
    if (response.status !== 201 && response.status !== 200) {
      throw classifyFailure(response, { operation: OPERATION, service: 'canvas' });
    }
    const token = requiredString(jsonObjectBody(response, OPERATION), 'token', response, OPERATION);
    if (inspectCompactJose(token)?.form !== 'jwe') {
      throw new UpstreamMalformedError(`${OPERATION}: token is not a compact JWE`, {
        upstreamStatus: response.status,
        details: { operation: OPERATION },
      });
    }
    const issuedAt = responseAnchor(response);
    return issuedToken(
      { token, issuedAt, expiresAt: issuedAt + CANVAS_TOKEN_LIFETIME_MS, readableExpiry: false },
      response,
      OPERATION,
    );
  },
});
