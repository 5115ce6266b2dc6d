import { randomUUID } from 'node:crypto';
import { canvasErrors } from './canvas-errors.ts';
import type { Claims } from './jose-helpers.ts';
import { resolveJwtContext } from './jwt-context.ts';
import { isBlank, looseBoolean, paramString, paramStrings, paramValue } from './param-readers.ts';
import type { ParamObject } from './request-params.ts';
import { globalUserId, type SimContext } from './sim-directory.ts';
import type { CanvasHandler } from './sim-request.ts';

/** Workflows whose token carries a context, so only they trigger the context checks. */
const CONTEXT_WORKFLOWS = new Set(['rich_content']);

const WORKFLOW_STATE: Readonly<Record<string, Record<string, unknown>>> = {
  rich_content: { usage_rights_required: false, can_upload_files: true, can_create_pages: true },
  ui: { use_high_contrast: false },
};

const LIFETIME_SECONDS = 3600;
const NBF_SKEW_SECONDS = 30;
/** Refresh works while `now < exp + 6 h`. */
const REFRESH_GRACE_SECONDS = 6 * 3600;

const audiencesOf = (params: ParamObject): string[] | undefined => {
  const list = paramStrings(params, 'audience')
    .flatMap((value) => value.split(/\s+/))
    .filter(Boolean);
  return list.length === 0 ? undefined : list;
};

const timeClaims = (iat: number) => ({
  iat,
  nbf: iat - NBF_SKEW_SECONDS,
  exp: iat + LIFETIME_SECONDS,
  jti: randomUUID(),
});

/** `POST /api/v1/jwts`: every check of contract section 2, in order, first failure wins. */
export const handleCreateJwt: CanvasHandler = async (req, auth, reply, state) => {
  if (auth.kind === 'services-jwt' || auth.kind === 'inst-access') return canvasErrors.jwtAuthorized(reply);
  const audiences = audiencesOf(req.params);
  if (audiences !== undefined) {
    if (auth.kind !== 'access-token') return reply.json(401, { errors: { jwt: 'unauthorized' } });
    if (audiences.some((audience) => !state.allowedAudiences.has(audience))) {
      return reply.json(400, {
        error: 'invalid_target',
        error_description: 'The requested audience is not permitted for this client',
      });
    }
  }
  const workflows = paramStrings(req.params, 'workflows');
  let context: SimContext | undefined;
  if (workflows.some((workflow) => CONTEXT_WORKFLOWS.has(workflow))) {
    const resolved = resolveJwtContext(req.params, auth.user, state.directory);
    if (!resolved.ok) return reply.json(resolved.status, resolved.body);
    context = resolved.context;
  }
  const canvasAudience = Object.hasOwn(req.params, 'canvas_audience')
    ? looseBoolean(paramValue(req.params, 'canvas_audience'))
    : true;
  const workflowState = Object.assign({}, ...workflows.map((workflow) => WORKFLOW_STATE[workflow] ?? {}));
  const claims: Claims = {
    iss: 'Canvas',
    aud: audiences ?? ['Instructure'],
    sub: globalUserId(auth.user.id),
    domain: req.host,
    ...timeClaims(state.clock.nowSeconds()),
    root_account_uuid: state.directory.rootAccount.uuid,
    ...(workflows.length > 0 ? { workflows, workflow_state: workflowState } : {}),
    ...(context ? { context_type: context.type, context_id: String(context.record.id) } : {}),
  };
  const token = await state.servicesJwts.mint(claims, {
    encrypted: audiences === undefined && canvasAudience,
  });
  reply.json(200, { token });
};

/**
 * Well formed in Canvas's eyes: Base64 of a compact JOSE string (5 segments, JWE) whose protected
 * header is JSON. Such a token gets past CanvasSecurity.base64_decode and JSON::JWT.decode's format
 * checks; what then fails is the decryption or verification itself.
 */
const isWellFormedServicesJwt = (wrapped: string): boolean => {
  const compact = Buffer.from(wrapped, 'base64').toString('utf8');
  const segments = compact.split('.');
  if (segments.length !== 5 || !/^[A-Za-z0-9_.-]+$/.test(compact.replaceAll('..', '.'))) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(segments[0] ?? '', 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && 'alg' in header;
  } catch {
    return false;
  }
};

const CARRIED_CLAIMS = ['workflows', 'workflow_state', 'context_type', 'context_id', 'root_account_uuid'];

/**
 * `POST /api/v1/jwts/refresh`: a new, always encrypted token with the same workflows and
 * context. Every failure after the auth checks is the same `invalid refresh`.
 */
export const handleRefreshJwt: CanvasHandler = async (req, auth, reply, state) => {
  if (auth.kind === 'services-jwt' || auth.kind === 'inst-access') return canvasErrors.jwtAuthorized(reply);
  if (isBlank(paramValue(req.params, 'jwt'))) return reply.json(400, { errors: { jwt: 'required' } });
  const invalid = () => reply.json(400, { errors: { jwt: 'invalid refresh' } });
  const presented = paramString(req.params, 'jwt') ?? '';
  const original = await state.servicesJwts.read(presented);
  // Deployment switch (see SimDeployment.refreshUndecryptableAnswers500): JwtsController#refresh
  // in instructure/canvas-lms app/controllers/jwts_controller.rb rescues only InvalidRefresh,
  // JSON::JWE::DecryptionFailed and JSON::JWT::InvalidFormat; a well-formed token this Canvas
  // cannot verify (another environment, a retired key) raises something else: an unhandled 500.
  if (
    original === undefined &&
    state.deployment().refreshUndecryptableAnswers500 &&
    isWellFormedServicesJwt(presented)
  ) {
    return canvasErrors.internal(reply);
  }
  // Signed-only tokens cannot be refreshed: Canvas can only refresh what it can decrypt.
  if (!original?.encrypted) return invalid();
  const { claims } = original;
  if (claims.sub !== globalUserId(auth.user.id)) return invalid();
  if (claims.domain !== req.host) return invalid();
  if (claims.masq_sub !== undefined) return invalid();
  const now = state.clock.nowSeconds();
  if (now >= original.exp + REFRESH_GRACE_SECONDS) return invalid();
  const carried = Object.fromEntries(
    CARRIED_CLAIMS.filter((name) => name in claims).map((name) => [name, claims[name]]),
  );
  const refreshed: Claims = {
    iss: 'Canvas',
    aud: ['Instructure'],
    sub: claims.sub,
    domain: req.host,
    ...timeClaims(now),
    ...carried,
  };
  const token = await state.servicesJwts.mint(refreshed, { encrypted: true });
  reply.json(200, { token });
};
