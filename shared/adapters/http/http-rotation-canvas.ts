import { UpstreamMalformedError } from '../../core/errors.ts';
import type { RotationCanvas } from '../../core/rotation-canvas.ts';
import { bearerAuthorization } from './authorization-header.ts';
import { type CanvasTokensClientDeps, makeCanvasTokensClient } from './canvas-tokens-client.ts';
import { classifyFailure } from './classify-failure.ts';
import { jsonObjectBody } from './json-body.ts';
import { sendUpstreamRequest } from './send-upstream-request.ts';

const WHOAMI = 'Canvas users self';

/**
 * The rotation's Canvas port over HTTP: the Access Tokens API client, plus `GET /api/v1/users/self`
 * as the cheapest real call a token can authenticate (the Tokens API client has no such call).
 */
export const makeHttpRotationCanvas = (deps: CanvasTokensClientDeps): RotationCanvas => {
  const tokens = makeCanvasTokensClient(deps);
  return (accessToken) => ({
    listTokens: (userId, signal) => tokens.list(accessToken, userId, signal),
    createToken: (userId, input, signal) => tokens.create(accessToken, userId, input, signal),
    async deleteToken(userId, idOrHint, signal) {
      await tokens.remove(accessToken, userId, idOrHint, signal);
    },
    async whoami(signal) {
      const response = await sendUpstreamRequest(deps, {
        operation: WHOAMI,
        method: 'GET',
        url: '/api/v1/users/self',
        headers: { authorization: bearerAuthorization(accessToken) },
        signal,
      });
      if (response.status !== 200) throw classifyFailure(response, { operation: WHOAMI, service: 'canvas' });
      const { id } = jsonObjectBody(response, WHOAMI);
      if (typeof id !== 'number' && (typeof id !== 'string' || id === '')) {
        throw new UpstreamMalformedError(`${WHOAMI}: response field "id" is missing`, {
          upstreamStatus: response.status,
          details: { operation: WHOAMI },
        });
      }
      return { id: String(id) };
    },
  });
};
