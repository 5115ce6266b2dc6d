import { createHash, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { JWKS_ROUTE } from '../config/api-routes.ts';
import type { JwksPublisher } from '../core/jwks-publisher.ts';
import { firstRequestId } from '../core/request-id.ts';
import type { Logger } from '../core/telemetry.ts';
import { toPublicError } from './error-table.ts';
import { errorResponse } from './http-response.ts';
import { MethodNotAllowedError, RouteNotFoundError } from './http-transport-errors.ts';
import { logFailure } from './log-failure.ts';

export interface JwksHandlerDeps {
  readonly publisher: JwksPublisher;
  readonly logger: Logger;
}

export type JwksEvent = Partial<
  Pick<APIGatewayProxyEvent, 'httpMethod' | 'resource' | 'path' | 'headers' | 'requestContext'>
>;

export type JwksHandler = (
  event: JwksEvent,
  context?: { readonly awsRequestId?: string },
  options?: { readonly signal?: AbortSignal },
) => Promise<APIGatewayProxyResult>;

/** A strong validator of the exact bytes served: the same keys give the same tag on every instance. */
const etagOf = (body: string): string =>
  `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

const headerOf = (headers: unknown, name: string): string | undefined => {
  if (typeof headers !== 'object' || headers === null) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
};

/** RFC 9110 section 13.1.2: weak comparison, a list of tags, or `*`. */
const matchesIfNoneMatch = (header: string | undefined, etag: string): boolean =>
  (header ?? '').split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });

/**
 * The route asked for. API Gateway's `resource` is the method's template, whatever the URL: behind
 * a custom domain with a base path mapping, `path` carries the base path too
 * (`/broker/.well-known/jwks.json`), and matching it alone answered 404 there. Local mode sends
 * no `resource`, only the path it was asked.
 */
const isJwksRoute = (event: JwksEvent | undefined): boolean =>
  event?.resource === JWKS_ROUTE.resource ||
  (typeof event?.resource !== 'string' && event?.path === JWKS_ROUTE.resource);

/**
 * `GET /.well-known/jwks.json`, the broker's only unauthenticated route: public keys, nothing
 * else. Any other path is a bare 404 and any other method a 405, with the error table's fixed
 * texts (nothing about what exists). When the current key's public half cannot be read the answer
 * is the table's for the KMS error (503 + Retry-After), never cached and never with internals.
 * A matching If-None-Match gets a 304, so a polling reader costs no body.
 */
export const makeJwksHandler =
  ({ publisher, logger }: JwksHandlerDeps): JwksHandler =>
  async (event, context, options) => {
    const requestId = firstRequestId(event?.requestContext?.requestId, context?.awsRequestId) ?? randomUUID();
    let allow: string | undefined;
    try {
      if (!event || !isJwksRoute(event)) throw new RouteNotFoundError('No such route.');
      if (event.httpMethod !== JWKS_ROUTE.method) {
        allow = JWKS_ROUTE.method;
        throw new MethodNotAllowedError(`Method not allowed; use ${allow}.`);
      }
      const jwks = await publisher.response(options?.signal);
      const etag = etagOf(jwks.body);
      const headers = { ...jwks.headers, etag };
      if (matchesIfNoneMatch(headerOf(event.headers, 'if-none-match'), etag)) {
        return { statusCode: 304, headers, body: '' };
      }
      return { statusCode: jwks.status, headers, body: jwks.body };
    } catch (error) {
      const answer = toPublicError(error);
      logFailure(logger, 'jwks', answer, { requestId, status: answer.status, code: answer.code }, error);
      return errorResponse(answer, requestId, allow === undefined ? undefined : { Allow: allow });
    }
  };
