import { handleDapTables } from './dap-api.ts';
import type { EndpointName, RouteName } from './endpoint-name.ts';
import { handleIdentityLogin } from './identity-api.ts';
import { handleCreateInstAccessToken } from './inst-access-api.ts';
import { handleCreateJwt, handleRefreshJwt } from './jwts-api.ts';
import { handleLtiToken } from './lti-token-api.ts';
import type { CanvasHandler, Handler } from './sim-request.ts';
import {
  handleCreateToken,
  handleDeleteToken,
  handleListTokens,
  handleShowToken,
  handleUpdateToken,
} from './tokens-api.ts';
import { handleServicesJwks, handleShowUser } from './users-api.ts';

export type Route =
  | {
      readonly area: 'canvas';
      readonly auth: 'required';
      readonly method: string;
      readonly pattern: string;
      readonly name: RouteName;
      readonly endpoint?: EndpointName;
      readonly handle: CanvasHandler;
    }
  | {
      readonly area: 'canvas';
      readonly auth: 'none';
      readonly method: string;
      readonly pattern: string;
      readonly name: RouteName;
      readonly endpoint?: EndpointName;
      readonly handle: Handler;
    }
  | {
      readonly area: 'dap';
      readonly method: string;
      readonly pattern: string;
      readonly name: RouteName;
      readonly endpoint: EndpointName;
      readonly handle: Handler;
    };

const canvas = (
  name: RouteName,
  method: string,
  pattern: string,
  handle: CanvasHandler,
  endpoint?: EndpointName,
): Route => ({
  area: 'canvas',
  auth: 'required',
  name,
  method,
  pattern,
  handle,
  ...(endpoint ? { endpoint } : {}),
});

export const ROUTES: readonly Route[] = [
  {
    area: 'dap',
    name: 'ids-login',
    method: 'POST',
    pattern: '/ids/auth/login',
    endpoint: 'ids-login',
    handle: handleIdentityLogin,
  },
  {
    area: 'dap',
    name: 'dap-tables',
    method: 'GET',
    pattern: '/dap/query/canvas/table',
    endpoint: 'dap-tables',
    handle: handleDapTables,
  },
  canvas('jwts', 'POST', '/api/v1/jwts', handleCreateJwt, 'jwts'),
  canvas('jwts-refresh', 'POST', '/api/v1/jwts/refresh', handleRefreshJwt, 'jwts-refresh'),
  canvas('inst-access', 'POST', '/api/v1/inst_access_tokens', handleCreateInstAccessToken, 'inst-access'),
  canvas('tokens-list', 'GET', '/api/v1/users/:user_id/user_generated_tokens', handleListTokens, 'tokens'),
  canvas('tokens-show', 'GET', '/api/v1/users/:user_id/tokens/:id', handleShowToken, 'tokens'),
  canvas('tokens-create', 'POST', '/api/v1/users/:user_id/tokens', handleCreateToken, 'tokens'),
  canvas('tokens-update', 'PUT', '/api/v1/users/:user_id/tokens/:id', handleUpdateToken, 'tokens'),
  canvas('tokens-delete', 'DELETE', '/api/v1/users/:user_id/tokens/:id', handleDeleteToken, 'tokens'),
  canvas('users-show', 'GET', '/api/v1/users/:id', handleShowUser),
  {
    area: 'canvas',
    auth: 'none',
    name: 'services-jwks',
    method: 'GET',
    pattern: '/internal/services/jwks',
    handle: handleServicesJwks,
  },
  {
    // config/routes.rb `oauth2_token`: the client-credentials grant of LTI Advantage services.
    // Unauthenticated like Canvas's (the signed assertion is the credential); faulted, counted
    // and throttled like every other Canvas route.
    area: 'canvas',
    auth: 'none',
    name: 'lti-token',
    method: 'POST',
    pattern: '/login/oauth2/token',
    endpoint: 'lti-token',
    handle: (req, reply, state) => handleLtiToken(req, reply, state),
  },
];

/** A token with scopes may call a route only if it holds `url:<METHOD>|<route pattern>`. */
export const routeScope = (route: Route): string => `url:${route.method}|${route.pattern}`;

const matchPattern = (pattern: string, path: string): Record<string, string> | undefined => {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const actual = got[index] ?? '';
    if (part.startsWith(':')) {
      if (actual === '') return undefined;
      try {
        params[part.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (part !== actual) {
      return undefined;
    }
  }
  return params;
};

/** Like Rails routing, a known path with the wrong method is simply not found. */
export const matchRoute = (
  method: string,
  path: string,
): { readonly route: Route; readonly routeParams: Record<string, string> } | undefined => {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const routeParams = matchPattern(route.pattern, path);
    if (routeParams) return { route, routeParams };
  }
  return undefined;
};
