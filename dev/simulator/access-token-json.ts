import type { AccessTokenRecord } from './access-token-store.ts';
import { canvasTime } from './canvas-time.ts';

/**
 * The Tokens API representation. `visible_token` holds the whole secret only in the response
 * that created or regenerated it; every other response shows the first 5 characters.
 */
export const accessTokenJson = (record: AccessTokenRecord, options: { readonly reveal: boolean }) => ({
  id: record.id,
  created_at: canvasTime(record.createdAt),
  updated_at: canvasTime(record.updatedAt),
  expires_at: record.expiresAt === null ? null : canvasTime(record.expiresAt),
  last_used_at: record.lastUsedAt === null ? null : canvasTime(record.lastUsedAt),
  purpose: record.purpose,
  real_user_id: null,
  remember_access: null,
  scopes: [...record.scopes],
  user_id: record.userId,
  workflow_state: record.workflowState,
  app_name: record.manual ? 'User-Generated' : null,
  can_manually_regenerate: record.manual,
  visible_token: options.reveal ? record.secret : `${record.secret.slice(0, 5)}...`,
});
