import { isBlank, paramString, paramValue } from './param-readers.ts';
import type { ParamObject } from './request-params.ts';
import type { ContextType, SimContext, SimDirectory, SimUser } from './sim-directory.ts';

export type JwtContextResult =
  | { readonly ok: true; readonly context: SimContext }
  | { readonly ok: false; readonly status: number; readonly body: unknown };

const CONTEXT_TYPES: Readonly<Record<string, ContextType>> = {
  course: 'Course',
  user: 'User',
  account: 'Account',
};

const fail = (status: number, body: unknown): JwtContextResult => ({ ok: false, status, body });

/**
 * The context checks of `POST /api/v1/jwts`, in Canvas's order (contract section 2, step 5);
 * the first failure wins. Only called when a requested workflow needs a context.
 */
export const resolveJwtContext = (
  params: ParamObject,
  user: SimUser,
  directory: SimDirectory,
): JwtContextResult => {
  if (isBlank(paramValue(params, 'context_type')))
    return fail(400, { error: 'Missing context_type parameter.' });
  const hasId = !isBlank(paramValue(params, 'context_id'));
  const hasUuid = !isBlank(paramValue(params, 'context_uuid'));
  if (!hasId && !hasUuid) return fail(400, { error: 'Missing context_id or context_uuid parameter.' });
  if (hasId && hasUuid) {
    return fail(400, { error: 'Should provide context_id or context_uuid parameters, but not both.' });
  }
  const type = CONTEXT_TYPES[(paramString(params, 'context_type') ?? '').toLowerCase()];
  if (type === undefined) return fail(400, { error: 'Invalid context_type parameter.' });
  const id = paramString(params, 'context_id');
  const uuid = paramString(params, 'context_uuid');
  const context = directory.findContext(type, hasId ? { id: id ?? '' } : { uuid: uuid ?? '' });
  if (!context) return fail(404, { errors: [{ message: 'The specified resource does not exist.' }] });
  if (!directory.canRead(user, context)) {
    return fail(403, {
      status: 'unauthorized',
      errors: [{ message: 'user not authorized to perform that action' }],
    });
  }
  return { ok: true, context };
};
