import { randomUUID } from 'node:crypto';
import { canvasErrors } from './canvas-errors.ts';
import type { CanvasHandler } from './sim-request.ts';

/** Canvas's `inst_access_token_additional_request_cost`: a few rapid mints per token hit the throttle. */
export const INST_ACCESS_EXTRA_COST = 200;

/** `POST /api/v1/inst_access_tokens`: 201 with a raw (not Base64-wrapped) compact JWE. */
export const handleCreateInstAccessToken: CanvasHandler = async (req, auth, reply, state) => {
  if (auth.kind !== 'access-token') return canvasErrors.jwtAuthorized(reply);
  req.charge(INST_ACCESS_EXTRA_COST);
  // Deployment switch (SimDeployment.instAccessConfigured): InstAccessTokensController#create
  // (instructure/canvas-lms app/controllers/inst_access_tokens_controller.rb) charges the request
  // cost first, then InstAccess::Token.for_user reads InstAccess.config, which raises ConfigError
  // "InstAccess is not configured!" (gems/inst_access/lib/inst_access.rb) that nothing rescues.
  if (!state.deployment().instAccessConfigured) return canvasErrors.internal(reply);
  const iat = state.clock.nowSeconds();
  const token = await state.instAccessTokens.mint({
    iss: 'instructure:inst_access',
    sub: auth.user.uuid,
    acct: state.directory.rootAccount.uuid,
    canvas_domain: req.host,
    region: state.region,
    jti: randomUUID(),
    iat,
    exp: iat + 3600,
  });
  reply.json(201, { token });
};
