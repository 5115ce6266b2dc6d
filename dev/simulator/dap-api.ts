import { bearerToken } from './canvas-auth.ts';
import { replyDapError } from './dap-errors.ts';
import type { Handler } from './sim-request.ts';

const TABLES = [
  'accounts',
  'assignments',
  'courses',
  'course_sections',
  'enrollments',
  'pseudonyms',
  'submissions',
  'users',
];

/**
 * `GET /dap/query/canvas/table`: the cheap token check, limited to 5 calls a minute per client.
 * The deprecated `x-instauth` header still works, but `Authorization` wins when both are sent.
 */
export const handleDapTables: Handler = async (req, reply, state) => {
  const header = req.headers['x-instauth'];
  const token =
    bearerToken(req.headers.authorization) ?? (typeof header === 'string' ? header.trim() : undefined);
  if (!token) return replyDapError(reply, 401, 'AuthenticationError', 'An access token is required.');
  const claims = await state.identityTokens.read(token);
  if (!claims || claims.exp <= state.clock.nowSeconds()) {
    return replyDapError(reply, 401, 'AuthenticationError', 'The access token is invalid or expired.');
  }
  const limit = state.dapLimit.take(claims.sub);
  if (!limit.ok) {
    return replyDapError(reply, 429, 'TooManyRequests', 'Rate limit exceeded: at most 5 calls per minute.', {
      'retry-after': String(limit.retryAfterSeconds),
    });
  }
  reply.json(200, { tables: TABLES });
};
