import { accessTokenJson } from './access-token-json.ts';
import type { AccessTokenRecord } from './access-token-store.ts';
import type { AuthenticatedCanvas } from './canvas-auth.ts';
import { canvasErrors } from './canvas-errors.ts';
import { parseCanvasTime } from './canvas-time.ts';
import {
  isBlank,
  looseBoolean,
  paramObject,
  paramString,
  paramStrings,
  paramValue,
} from './param-readers.ts';
import type { Reply } from './reply.ts';
import type { ParamObject } from './request-params.ts';
import type { SimUser } from './sim-directory.ts';
import type { CanvasHandler, SimRequest } from './sim-request.ts';
import type { SimState } from './sim-state.ts';

const DEFAULT_PER_PAGE = 10;
const MAX_PER_PAGE = 100;

/** `:user_id` is `self` or a numeric id; acting on another user needs admin rights over them. */
const targetUser = (
  req: SimRequest,
  auth: AuthenticatedCanvas,
  reply: Reply,
  state: SimState,
): SimUser | undefined => {
  const raw = req.routeParams.user_id ?? '';
  const user =
    raw === 'self' ? auth.user : /^\d{1,15}$/.test(raw) ? state.directory.findUser(Number(raw)) : undefined;
  if (!user) {
    canvasErrors.notFound(reply);
    return undefined;
  }
  if (!state.directory.canManageUser(auth.user, user)) {
    canvasErrors.unauthorized(reply);
    return undefined;
  }
  return user;
};

const foundToken = (
  req: SimRequest,
  user: SimUser,
  reply: Reply,
  state: SimState,
): AccessTokenRecord | undefined => {
  const record = state.accessTokens.findForUser(user.id, req.routeParams.id ?? '');
  // Deployment switch (SimDeployment.pendingTokensHidden): TokensController#find_token
  // (instructure/canvas-lms app/controllers/tokens_controller.rb) looks the id up in
  // `@context.access_tokens`, which app/models/user.rb scopes to workflow_state "active": a
  // pending token is not found, so it can be neither shown, updated nor deleted.
  if (!record || (record.workflowState === 'pending' && state.deployment().pendingTokensHidden)) {
    canvasErrors.notFound(reply);
    return undefined;
  }
  return record;
};

/** `params.require(:token)`: absent, not a hash, or an empty hash all count as missing. */
const tokenParams = (params: ParamObject, reply: Reply): ParamObject | undefined => {
  const token = paramObject(params, 'token');
  if (!token || Object.keys(token).length === 0) {
    reply.json(400, { errors: [{ message: 'token is missing' }] });
    return undefined;
  }
  return token;
};

/** Reads `token[expires_at]`: blank clears the expiry, undefined means the key is absent. */
const expiresAtOf = (token: ParamObject): { value: number | null } | 'invalid' | undefined => {
  if (!Object.hasOwn(token, 'expires_at')) return undefined;
  const raw = paramValue(token, 'expires_at');
  if (isBlank(raw)) return { value: null };
  const text = paramString(token, 'expires_at');
  const ms = text === undefined ? undefined : parseCanvasTime(text);
  return ms === undefined ? 'invalid' : { value: ms };
};

const encodeBookmark = (record: AccessTokenRecord): string =>
  `bookmark:${Buffer.from(JSON.stringify([record.createdAt, record.id])).toString('base64url')}`;

const decodeBookmark = (page: string | undefined): [number, number] | undefined => {
  if (!page?.startsWith('bookmark:')) return undefined;
  try {
    const parsed: unknown = JSON.parse(
      Buffer.from(page.slice('bookmark:'.length), 'base64url').toString('utf8'),
    );
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((n) => typeof n === 'number')) {
      return [parsed[0] as number, parsed[1] as number];
    }
  } catch {
    // An unreadable bookmark starts from the first page, as Canvas does.
  }
  return undefined;
};

/** `GET /api/v1/users/:user_id/user_generated_tokens`: manual tokens by `created_at, id`, paged by `link`. */
export const handleListTokens: CanvasHandler = (req, auth, reply, state) => {
  const user = targetUser(req, auth, reply, state);
  if (!user) return;
  const requested = Number.parseInt(paramString(req.params, 'per_page') ?? '', 10);
  const perPage =
    Number.isFinite(requested) && requested > 0 ? Math.min(requested, MAX_PER_PAGE) : DEFAULT_PER_PAGE;
  const page = paramString(req.params, 'page');
  const after = decodeBookmark(page);
  const all = state.accessTokens.listManual(user.id);
  const rest = after
    ? all.filter(
        (record) => record.createdAt > after[0] || (record.createdAt === after[0] && record.id > after[1]),
      )
    : all;
  const items = rest.slice(0, perPage);
  // Links never carry the caller's access_token, and their page values are opaque bookmarks.
  const link = (pageValue: string | undefined, rel: string): string => {
    const query = new URLSearchParams();
    if (pageValue !== undefined) query.set('page', pageValue);
    query.set('per_page', String(perPage));
    return `<${req.origin}${req.path}?${query.toString()}>; rel="${rel}"`;
  };
  const links = [link(after ? page : undefined, 'current')];
  const last = items[items.length - 1];
  if (rest.length > perPage && last) links.push(link(encodeBookmark(last), 'next'));
  links.push(link(undefined, 'first'));
  reply.json(
    200,
    items.map((record) => accessTokenJson(record, { reveal: false })),
    { link: links.join(',') },
  );
};

/** `GET /api/v1/users/:user_id/tokens/:id`. */
export const handleShowToken: CanvasHandler = (req, auth, reply, state) => {
  const user = targetUser(req, auth, reply, state);
  if (!user) return;
  const record = foundToken(req, user, reply, state);
  if (record) reply.json(200, accessTokenJson(record, { reveal: false }));
};

/** `POST /api/v1/users/:user_id/tokens`: 200 (not 201); the only response showing the new secret. */
export const handleCreateToken: CanvasHandler = (req, auth, reply, state) => {
  const user = targetUser(req, auth, reply, state);
  if (!user) return;
  const token = tokenParams(req.params, reply);
  if (!token) return;
  if (isBlank(paramValue(token, 'purpose')))
    return reply.json(400, [{ message: 'token[purpose] is missing' }]);
  const expiresAt = expiresAtOf(token);
  if (expiresAt === 'invalid') return reply.json(400, [{ message: 'token[expires_at] is invalid' }]);
  const { tokenCreationRefusedStatus, tokenMaxLifetimeSeconds } = state.deployment();
  // Deployment switch (SimDeployment.tokenCreationRefusedStatus): TokensController#create answers
  // render_unauthorized_action when AccessToken's policy denies :create, as it does for a root
  // account with limit_personal_access_tokens (app/models/access_token.rb, set_policy).
  if (tokenCreationRefusedStatus !== null) {
    return reply.json(tokenCreationRefusedStatus, {
      status: 'unauthorized',
      errors: [{ message: 'user not authorized to perform that action' }],
    });
  }
  // Deployment switch (SimDeployment.tokenMaxLifetimeSeconds): the site's policy sets
  // permanent_expires_at no later than now + the cap (AccessToken#set_permanent_expiration in
  // app/models/access_token.rb); the answer's expires_at says what Canvas really stored.
  const cap = tokenMaxLifetimeSeconds === null ? null : state.clock.now() + tokenMaxLifetimeSeconds * 1000;
  const asked = expiresAt?.value ?? null;
  const record = state.accessTokens.create({
    userId: user.id,
    purpose: paramString(token, 'purpose') ?? '',
    expiresAt: cap === null ? asked : Math.min(asked ?? cap, cap),
    scopes: paramStrings(token, 'scopes'),
    // A token made for someone else waits for that user to activate it.
    pending: user.id !== auth.user.id,
  });
  reply.json(200, accessTokenJson(record, { reveal: true }));
};

/** `PUT /api/v1/users/:user_id/tokens/:id`: update, and with `token[regenerate]` replace the secret. */
export const handleUpdateToken: CanvasHandler = (req, auth, reply, state) => {
  const user = targetUser(req, auth, reply, state);
  if (!user) return;
  const record = foundToken(req, user, reply, state);
  if (!record) return;
  const token = tokenParams(req.params, reply);
  if (!token) return;
  if (Object.hasOwn(token, 'purpose') && isBlank(paramValue(token, 'purpose'))) {
    return reply.json(400, { errors: { message: 'token[purpose] cannot be blank' } });
  }
  const expiresAt = expiresAtOf(token);
  if (expiresAt === 'invalid')
    return reply.json(400, { errors: { message: 'token[expires_at] is invalid' } });
  const regenerate = looseBoolean(paramValue(token, 'regenerate'));
  if (regenerate) {
    // Only the owner may regenerate a token, and only a manual one.
    if (record.userId !== auth.user.id || !record.manual) return canvasErrors.unauthorized(reply);
    if (state.accessTokens.isExpired(record) && expiresAt === undefined) {
      return reply.json(400, {
        errors: { message: 'cannot regenerate an expired token without a new expiration date' },
      });
    }
  }
  let updated = state.accessTokens.update(record.id, {
    ...(Object.hasOwn(token, 'purpose') ? { purpose: paramString(token, 'purpose') ?? '' } : {}),
    ...(expiresAt === undefined ? {} : { expiresAt: expiresAt.value }),
    ...(Object.hasOwn(token, 'scopes') ? { scopes: paramStrings(token, 'scopes') } : {}),
  });
  if (regenerate) updated = state.accessTokens.regenerate(record.id);
  reply.json(200, accessTokenJson(updated, { reveal: regenerate }));
};

/** `DELETE /api/v1/users/:user_id/tokens/:id`: a soft delete; the token stops authenticating. */
export const handleDeleteToken: CanvasHandler = (req, auth, reply, state) => {
  const user = targetUser(req, auth, reply, state);
  if (!user) return;
  const record = foundToken(req, user, reply, state);
  if (record) reply.json(200, accessTokenJson(state.accessTokens.softDelete(record.id), { reveal: false }));
};
