import { UpstreamMalformedError } from '../../core/errors.ts';
import { bearerAuthorization } from './authorization-header.ts';
import { type CanvasAccessToken, parseCanvasAccessToken } from './canvas-access-token.ts';
import { classifyFailure } from './classify-failure.ts';
import type { HttpClientDeps } from './http-client-deps.ts';
import { jsonBody } from './json-body.ts';
import { nextLink } from './link-header.ts';
import { sendUpstreamRequest } from './send-upstream-request.ts';
import type { UpstreamResponse } from './upstream-response.ts';
import { upstreamUrl } from './upstream-url.ts';

/** A Canvas user id, or `self` for the token's own user. */
export type CanvasUserId = string | number;

export interface CreateCanvasTokenInput {
  readonly purpose: string;
  /** ISO 8601 string or Date; omitted lets Canvas apply its default (possibly "never"). */
  readonly expiresAt?: Date | string;
  readonly scopes?: readonly string[];
}

export interface UpdateCanvasTokenInput {
  readonly purpose?: string;
  /** null clears the expiry. Required by Canvas when regenerating an expired token. */
  readonly expiresAt?: Date | string | null;
  readonly scopes?: readonly string[];
  /** Replaces the secret at once: the old value stops working immediately. */
  readonly regenerate?: boolean;
}

/**
 * The Canvas Access Tokens API, used only to rotate the broker's own Canvas token (contract
 * section 5). Every call takes the access token it authenticates with, so rotation can act with the
 * current token and verify with the new one. `idOrHint` may be a database id or the 5-character
 * token hint.
 */
export interface CanvasTokensClient {
  /** Every manually generated token of the user, following `link` rel=next (bounded). */
  list(accessToken: string, userId: CanvasUserId, signal?: AbortSignal): Promise<CanvasAccessToken[]>;
  show(
    accessToken: string,
    userId: CanvasUserId,
    idOrHint: string,
    signal?: AbortSignal,
  ): Promise<CanvasAccessToken>;
  /** The result carries `secret`. A token created for another user stays `pending` until they activate it. */
  create(
    accessToken: string,
    userId: CanvasUserId,
    input: CreateCanvasTokenInput,
    signal?: AbortSignal,
  ): Promise<CanvasAccessToken>;
  /** The result carries `secret` when `regenerate` was set. */
  update(
    accessToken: string,
    userId: CanvasUserId,
    idOrHint: string,
    input: UpdateCanvasTokenInput,
    signal?: AbortSignal,
  ): Promise<CanvasAccessToken>;
  /** Soft delete: resolves with the token in `workflow_state: "deleted"`. */
  remove(
    accessToken: string,
    userId: CanvasUserId,
    idOrHint: string,
    signal?: AbortSignal,
  ): Promise<CanvasAccessToken>;
}

export interface CanvasTokensClientDeps extends HttpClientDeps {
  /** Upper bound on pages `list` follows; more is treated as a malformed answer (or a link loop). */
  readonly maxPages?: number;
  /** `per_page` for `list` (Canvas allows up to 100, the default). */
  readonly pageSize?: number;
}

const DEFAULT_MAX_PAGES = 50;
const MAX_PAGE_SIZE = 100;
/** A page of 100 token objects runs to about 50 KB; leave room. */
const DEFAULT_TOKENS_MAX_BODY_BYTES = 512 * 1024;

const LIST = 'Canvas token list';
const SHOW = 'Canvas token show';
const CREATE = 'Canvas token create';
const UPDATE = 'Canvas token update';
const REMOVE = 'Canvas token delete';

const userPath = (userId: CanvasUserId) => `/api/v1/users/${encodeURIComponent(String(userId))}`;
const tokenPath = (userId: CanvasUserId, idOrHint: string) =>
  `${userPath(userId)}/tokens/${encodeURIComponent(idOrHint)}`;
const isoOf = (value: Date | string) => (typeof value === 'string' ? value : value.toISOString());

export const makeCanvasTokensClient = (clientDeps: CanvasTokensClientDeps): CanvasTokensClient => {
  const deps: HttpClientDeps = {
    ...clientDeps,
    maxBodyBytes: clientDeps.maxBodyBytes ?? DEFAULT_TOKENS_MAX_BODY_BYTES,
  };
  const maxPages = clientDeps.maxPages ?? DEFAULT_MAX_PAGES;
  const origin = new URL(clientDeps.baseUrl).origin;

  const oneToken = async (
    operation: string,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    accessToken: string,
    options: {
      form?: URLSearchParams;
      expectSecret: boolean;
      okStatuses?: readonly number[];
      signal?: AbortSignal | undefined;
    },
  ): Promise<CanvasAccessToken> => {
    const response = await sendUpstreamRequest(deps, {
      operation,
      method,
      url: path,
      headers: { authorization: bearerAuthorization(accessToken) },
      ...(options.form ? { form: options.form } : {}),
      signal: options.signal,
    });
    if (!(options.okStatuses ?? [200]).includes(response.status)) {
      throw classifyFailure(response, { operation, service: 'canvas' });
    }
    return parseCanvasAccessToken(jsonBody(response, operation), {
      expectSecret: options.expectSecret,
      response,
      operation,
    });
  };

  const malformed = (response: UpstreamResponse, what: string) =>
    new UpstreamMalformedError(`${LIST}: ${what}`, {
      upstreamStatus: response.status,
      details: { operation: LIST },
    });

  return {
    async list(accessToken, userId, signal) {
      const authorization = bearerAuthorization(accessToken);
      const first = upstreamUrl(clientDeps.baseUrl, `${userPath(userId)}/user_generated_tokens`);
      first.searchParams.set('per_page', String(clientDeps.pageSize ?? MAX_PAGE_SIZE));
      const tokens: CanvasAccessToken[] = [];
      const seen = new Set<string>();
      let url: URL | undefined = first;
      for (let page = 0; url !== undefined; page++) {
        if (page >= maxPages) {
          throw new UpstreamMalformedError(`${LIST}: more than ${maxPages} pages`, {
            details: { operation: LIST },
          });
        }
        seen.add(url.href);
        const response = await sendUpstreamRequest(deps, {
          operation: LIST,
          method: 'GET',
          url,
          headers: { authorization },
          signal,
        });
        if (response.status !== 200) throw classifyFailure(response, { operation: LIST, service: 'canvas' });
        const body = jsonBody(response, LIST);
        if (!Array.isArray(body)) throw malformed(response, 'response body is not a JSON array');
        for (const item of body) {
          tokens.push(parseCanvasAccessToken(item, { expectSecret: false, response, operation: LIST }));
        }
        const next = nextLink(response.headers.get('link'));
        if (next === undefined) break;
        let nextUrl: URL;
        try {
          nextUrl = new URL(next, url);
        } catch {
          throw malformed(response, 'unparsable next link');
        }
        // The bearer token follows the link: never to another origin, never in a loop.
        if (nextUrl.origin !== origin) throw malformed(response, 'next link points to another origin');
        if (seen.has(nextUrl.href)) throw malformed(response, 'next link repeats a page');
        url = nextUrl;
      }
      return tokens;
    },

    show(accessToken, userId, idOrHint, signal) {
      return oneToken(SHOW, 'GET', tokenPath(userId, idOrHint), accessToken, { expectSecret: false, signal });
    },

    create(accessToken, userId, input, signal) {
      const form = new URLSearchParams({ 'token[purpose]': input.purpose });
      if (input.expiresAt !== undefined) form.append('token[expires_at]', isoOf(input.expiresAt));
      for (const scope of input.scopes ?? []) form.append('token[scopes][]', scope);
      // Canvas answers 200 (contract section 5); 201 would be just as good news.
      return oneToken(CREATE, 'POST', `${userPath(userId)}/tokens`, accessToken, {
        form,
        expectSecret: true,
        okStatuses: [200, 201],
        signal,
      });
    },

    update(accessToken, userId, idOrHint, input, signal) {
      const form = new URLSearchParams();
      if (input.purpose !== undefined) form.append('token[purpose]', input.purpose);
      if (input.expiresAt !== undefined) {
        form.append('token[expires_at]', input.expiresAt === null ? '' : isoOf(input.expiresAt));
      }
      for (const scope of input.scopes ?? []) form.append('token[scopes][]', scope);
      if (input.regenerate === true) form.append('token[regenerate]', 'true');
      return oneToken(UPDATE, 'PUT', tokenPath(userId, idOrHint), accessToken, {
        form,
        expectSecret: input.regenerate === true,
        signal,
      });
    },

    remove(accessToken, userId, idOrHint, signal) {
      return oneToken(REMOVE, 'DELETE', tokenPath(userId, idOrHint), accessToken, {
        expectSecret: false,
        signal,
      });
    },
  };
};
