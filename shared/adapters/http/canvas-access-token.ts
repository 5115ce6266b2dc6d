import { UpstreamMalformedError } from '../../core/errors.ts';
import type { UpstreamResponse } from './upstream-response.ts';

/** A Canvas access token as the Access Tokens API describes it (contract section 5). */
export interface CanvasAccessToken {
  /** The database id, as a string (Canvas sends a number). */
  readonly id: string;
  readonly userId: string | null;
  readonly realUserId: string | null;
  readonly purpose: string | null;
  /** `pending`, `active`, `deleted` (docs also list `disabled`). A pending token cannot be used. */
  readonly workflowState: string;
  /** ISO 8601 timestamps as Canvas sent them; `expiresAt` null means the token never expires. */
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly scopes: readonly string[];
  readonly appName: string | null;
  readonly canManuallyRegenerate: boolean | null;
  /** The first characters of the secret (Canvas shows 5), usable as an id in the token routes. */
  readonly tokenHint: string | null;
  /**
   * The full secret: present only on the response that created or regenerated it. Non-enumerable,
   * so logging or serializing the record does not leak it; read it explicitly (and note that
   * spreading the record drops it).
   */
  readonly secret?: string;
}

const HINT_SUFFIX = '...';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const stringOrNull = (value: unknown): string | null =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;

/**
 * Reads one token object. Accepts both spellings of the secret: current Canvas's `visible_token`
 * (the full secret once, otherwise `"abcde..."`) and the documented `token` / `token_hint`.
 * `expectSecret` is set for create and regenerate, where a response without the secret is useless.
 */
export const parseCanvasAccessToken = (
  value: unknown,
  options: {
    readonly expectSecret: boolean;
    readonly response: UpstreamResponse;
    readonly operation: string;
  },
): CanvasAccessToken => {
  const { response, operation } = options;
  const malformed = (what: string) =>
    new UpstreamMalformedError(`${operation}: ${what}`, {
      upstreamStatus: response.status,
      details: { operation },
    });

  if (!isRecord(value)) throw malformed('token is not a JSON object');
  const id = stringOrNull(value.id);
  if (id === null || id === '') throw malformed('token field "id" is missing');
  if (typeof value.workflow_state !== 'string') throw malformed('token field "workflow_state" is missing');

  const visible = typeof value.visible_token === 'string' ? value.visible_token : undefined;
  const documentedToken = typeof value.token === 'string' && value.token !== '' ? value.token : undefined;
  let secret: string | undefined;
  let hint: string | null = null;
  if (visible?.endsWith(HINT_SUFFIX)) {
    hint = visible.slice(0, -HINT_SUFFIX.length);
  } else if (visible !== undefined && visible !== '') {
    secret = visible;
  }
  secret ??= documentedToken;
  if (typeof value.token_hint === 'string' && value.token_hint !== '') {
    hint ??= value.token_hint.endsWith(HINT_SUFFIX)
      ? value.token_hint.slice(0, -HINT_SUFFIX.length)
      : value.token_hint;
  }
  if (secret !== undefined) hint ??= secret.slice(0, 5);
  // Outside create/regenerate a full value would be unexpected; it is not surfaced as a secret.
  if (!options.expectSecret) secret = undefined;
  if (options.expectSecret && secret === undefined) throw malformed('response carries no token secret');

  const record: CanvasAccessToken = {
    id,
    userId: stringOrNull(value.user_id),
    realUserId: stringOrNull(value.real_user_id),
    purpose: stringOrNull(value.purpose),
    workflowState: value.workflow_state,
    createdAt: stringOrNull(value.created_at),
    updatedAt: stringOrNull(value.updated_at),
    expiresAt: stringOrNull(value.expires_at),
    lastUsedAt: stringOrNull(value.last_used_at),
    scopes: Array.isArray(value.scopes) ? value.scopes.filter((s): s is string => typeof s === 'string') : [],
    appName: stringOrNull(value.app_name),
    canManuallyRegenerate:
      typeof value.can_manually_regenerate === 'boolean' ? value.can_manually_regenerate : null,
    tokenHint: hint,
  };
  if (secret !== undefined) Object.defineProperty(record, 'secret', { value: secret, enumerable: false });
  return record;
};
