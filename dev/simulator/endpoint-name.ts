/**
 * The upstream endpoints the simulator counts calls to (`GET /__sim/stats` `calls`). `tokens`
 * groups the five Access Tokens API routes; each route also has its own {@link RouteName}.
 */
export type EndpointName =
  | 'ids-login'
  | 'jwts'
  | 'jwts-refresh'
  | 'inst-access'
  | 'tokens'
  | 'dap-tables'
  | 'lti-token';

export const ENDPOINT_NAMES: readonly EndpointName[] = [
  'ids-login',
  'jwts',
  'jwts-refresh',
  'inst-access',
  'tokens',
  'dap-tables',
  'lti-token',
];

/**
 * One name per route (method + pattern), so a fault can hit one route while its neighbours work
 * (token create OK, token delete failing). Counted in `GET /__sim/stats` `routes`.
 */
export type RouteName =
  | 'ids-login'
  | 'dap-tables'
  | 'jwts'
  | 'jwts-refresh'
  | 'inst-access'
  | 'tokens-list'
  | 'tokens-show'
  | 'tokens-create'
  | 'tokens-update'
  | 'tokens-delete'
  | 'users-show'
  | 'services-jwks'
  | 'lti-token';

export const ROUTE_NAMES: readonly RouteName[] = [
  'ids-login',
  'dap-tables',
  'jwts',
  'jwts-refresh',
  'inst-access',
  'tokens-list',
  'tokens-show',
  'tokens-create',
  'tokens-update',
  'tokens-delete',
  'users-show',
  'services-jwks',
  'lti-token',
];

/** What a fault may name: a group (`tokens` covers all five token routes) or a single route. */
export type FaultTarget = EndpointName | RouteName;

export const isEndpointName = (value: unknown): value is EndpointName =>
  typeof value === 'string' && (ENDPOINT_NAMES as readonly string[]).includes(value);

export const isFaultTarget = (value: unknown): value is FaultTarget =>
  isEndpointName(value) || (typeof value === 'string' && (ROUTE_NAMES as readonly string[]).includes(value));
