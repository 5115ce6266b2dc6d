import type { NormalizedParams } from '../../core/credential.ts';
import { RefreshRejectedError } from '../../core/errors.ts';
import type { IssuedToken } from '../../core/upstream-client.ts';
import { bearerAuthorization } from './authorization-header.ts';
import { canvasJwtIssuedToken, isSignedOnlyCanvasJwt } from './canvas-jwt-token.ts';
import { classifyFailure } from './classify-failure.ts';
import type { HttpClientDeps } from './http-client-deps.ts';
import { jsonObjectBody, requiredString } from './json-body.ts';
import { sendUpstreamRequest } from './send-upstream-request.ts';

export interface CanvasJwtClient {
  /** `POST /api/v1/jwts` with the credential's normalized parameters. */
  create(
    input: { readonly accessToken: string; readonly params: NormalizedParams },
    signal?: AbortSignal,
  ): Promise<IssuedToken>;
  /**
   * `POST /api/v1/jwts/refresh` with the exact token string create returned. Rejects with
   * RefreshRejectedError when Canvas answers `invalid refresh`, or at once for a signed-only token
   * (Canvas cannot refresh those). Canvas answers 500, not `invalid refresh`, for a well-formed
   * token it cannot verify (JwtsController#refresh in instructure/canvas-lms
   * app/controllers/jwts_controller.rb rescues only InvalidRefresh, JWE::DecryptionFailed and
   * JWT::InvalidFormat), so the classification here is the ordinary one and the core decides:
   * every refresh failure that is not a failure of the whole host (network, timeout, 408, 429,
   * 403 rate-limit) mints in the same renewal. The table: shared/core/upstream-failure.ts.
   */
  refresh(
    input: { readonly accessToken: string; readonly jwt: string },
    signal?: AbortSignal,
  ): Promise<IssuedToken>;
}

const CREATE = 'Canvas JWT create';
const REFRESH = 'Canvas JWT refresh';

/**
 * The form Canvas expects. `canvas_audience` is always sent as exactly `true` or `false`: Canvas
 * reads any other value, the empty string included, as false (contract section 2).
 */
export const canvasJwtForm = (params: NormalizedParams): URLSearchParams => {
  const form = new URLSearchParams();
  for (const workflow of params.workflows ?? []) form.append('workflows[]', workflow);
  if (params.contextType !== undefined) form.append('context_type', params.contextType);
  if (params.contextId !== undefined) form.append('context_id', params.contextId);
  if (params.contextUuid !== undefined) form.append('context_uuid', params.contextUuid);
  form.append('canvas_audience', params.canvasAudience === false ? 'false' : 'true');
  if (params.audience !== undefined) form.append('audience', params.audience);
  return form;
};

/** Canvas services JWTs, contract sections 2 and 3. */
export const makeCanvasJwtClient = (deps: HttpClientDeps): CanvasJwtClient => ({
  async create({ accessToken, params }, signal) {
    const response = await sendUpstreamRequest(deps, {
      operation: CREATE,
      method: 'POST',
      url: '/api/v1/jwts',
      headers: { authorization: bearerAuthorization(accessToken) },
      form: canvasJwtForm(params),
      signal,
    });
    if (response.status !== 200) throw classifyFailure(response, { operation: CREATE, service: 'canvas' });
    const token = requiredString(jsonObjectBody(response, CREATE), 'token', response, CREATE);
    return canvasJwtIssuedToken(token, response, CREATE);
  },

  async refresh({ accessToken, jwt }, signal) {
    if (isSignedOnlyCanvasJwt(jwt)) {
      throw new RefreshRejectedError(`${REFRESH}: a signed-only token cannot be refreshed`, {
        details: { operation: REFRESH },
      });
    }
    const response = await sendUpstreamRequest(deps, {
      operation: REFRESH,
      method: 'POST',
      url: '/api/v1/jwts/refresh',
      headers: { authorization: bearerAuthorization(accessToken) },
      form: new URLSearchParams({ jwt }),
      signal,
    });
    if (response.status !== 200) {
      throw classifyFailure(response, { operation: REFRESH, service: 'canvas', refresh: true });
    }
    const token = requiredString(jsonObjectBody(response, REFRESH), 'token', response, REFRESH);
    return canvasJwtIssuedToken(token, response, REFRESH);
  },
});
