import { randomUUID } from 'node:crypto';
import type { HeaderMap, Reply } from './reply.ts';

/** Only a 401 carrying this header means "the token itself is bad" (contract section 0). */
export const WWW_AUTHENTICATE: HeaderMap = { 'www-authenticate': 'Bearer realm="canvas-lms"' };

export const RATE_LIMIT_BODY = '403 Forbidden (Rate Limit Exceeded)\n';

/** Canvas's error replies, each with the exact body shape the contract lists for it. */
export const canvasErrors = {
  unauthenticated: (reply: Reply): void =>
    reply.json(
      401,
      { status: 'unauthenticated', errors: [{ message: 'user authorization required' }] },
      WWW_AUTHENTICATE,
    ),
  invalidToken: (reply: Reply): void =>
    reply.json(401, { errors: [{ message: 'Invalid access token.' }] }, WWW_AUTHENTICATE),
  // No WWW-Authenticate: the token is fine, it just may not call this route.
  insufficientScopes: (reply: Reply): void =>
    reply.json(401, { errors: [{ message: 'Insufficient scopes on access token.' }] }),
  unauthorized: (reply: Reply): void =>
    reply.json(403, {
      status: 'unauthorized',
      errors: [{ message: 'user not authorized to perform that action' }],
    }),
  notFound: (reply: Reply): void =>
    reply.json(404, { errors: [{ message: 'The specified resource does not exist.' }] }),
  badRequest: (reply: Reply, message: string): void => reply.json(400, { errors: [{ message }] }),
  payloadTooLarge: (reply: Reply): void =>
    reply.json(413, { errors: [{ message: 'Request entity too large' }] }, { connection: 'close' }),
  internal: (reply: Reply): void =>
    reply.json(500, {
      errors: [{ message: 'An error occurred.', error_code: `sim-${randomUUID().slice(0, 8)}` }],
    }),
  rateLimited: (reply: Reply, extra: HeaderMap = {}): void =>
    reply.text(403, RATE_LIMIT_BODY, 'text/plain; charset=utf-8', {
      'x-rate-limit-remaining': '0.0',
      ...extra,
    }),
  jwtAuthorized: (reply: Reply): void =>
    reply.json(403, { error: 'cannot generate a JWT when authorized by a JWT' }),
};

/** Instructure's answer to a request without User-Agent, on Canvas and DAP alike. */
export const replyUserAgentRequired = (reply: Reply): void =>
  reply.json(403, {
    error: 'Forbidden',
    message: 'You are not authorized to access this site because you have not provided a valid user agent.',
  });

export const hasUserAgent = (value: string | undefined): boolean =>
  value !== undefined && value.trim() !== '';
