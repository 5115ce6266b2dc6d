/**
 * THE route table of the broker's REST API (DESIGN "The broker's API"); `{id}` is the credential
 * id. Every side that must agree on it reads it: the edge router (shared/edge/routes.ts), local
 * mode's gateway (dev/local/to-proxy-event.ts), the construct's API Gateway resources and methods
 * (packages/cdk/src/broker-api.ts) and its grant helpers (packages/cdk/src/credential-broker.ts).
 * A route added here is routed, served locally, deployed and grantable, or it is nowhere.
 */
export type RouteName =
  | 'getToken'
  | 'listCredentials'
  | 'invalidateToken'
  | 'describeCredential'
  | 'refreshCredential'
  | 'purgeTokens';

/** The API Gateway request model a route's body is validated against (none: no body is validated). */
export type RequestModelName = 'TokenRequest' | 'InvalidateRequest' | 'EmptyRequest';

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly resource: string;
  readonly name: RouteName;
  /** Whether a JSON body with fields is accepted (others take none, or `{}`). */
  readonly body: boolean;
  readonly model?: RequestModelName;
  /** Every route is SigV4-signed (AWS_IAM); the broker's caller policy then decides. */
  readonly auth: 'AWS_IAM';
  /** Granted by `grantAdminAccess` (metadata, force refresh, purge), not `grantTokenAccess`. */
  readonly adminOnly: boolean;
}

const route = (r: Omit<ApiRoute, 'auth'>): ApiRoute => ({ ...r, auth: 'AWS_IAM' });

export const API_ROUTES: readonly ApiRoute[] = [
  route({
    method: 'POST',
    resource: '/v1/credentials/{id}/token',
    name: 'getToken',
    body: true,
    model: 'TokenRequest',
    adminOnly: false,
  }),
  route({
    method: 'GET',
    resource: '/v1/credentials',
    name: 'listCredentials',
    body: false,
    adminOnly: false,
  }),
  route({
    method: 'POST',
    resource: '/v1/credentials/{id}/token/invalidate',
    name: 'invalidateToken',
    body: true,
    model: 'InvalidateRequest',
    adminOnly: false,
  }),
  route({
    method: 'GET',
    resource: '/v1/credentials/{id}',
    name: 'describeCredential',
    body: false,
    adminOnly: true,
  }),
  route({
    method: 'POST',
    resource: '/v1/credentials/{id}/refresh',
    name: 'refreshCredential',
    body: false,
    model: 'EmptyRequest',
    adminOnly: true,
  }),
  route({
    method: 'DELETE',
    resource: '/v1/credentials/{id}/token',
    name: 'purgeTokens',
    body: false,
    adminOnly: true,
  }),
];

/** The distinct resource templates, in table order. */
export const API_RESOURCES: readonly string[] = [...new Set(API_ROUTES.map((r) => r.resource))];

/**
 * The concrete `[method, path]` pairs of `routes` for these credentials: a route without `{id}`
 * once, then each credential's routes (what an execute-api grant names).
 */
export const routePaths = (
  routes: readonly ApiRoute[],
  credentialIds: readonly string[],
): (readonly [method: string, path: string])[] => [
  ...routes.filter((r) => !r.resource.includes('{id}')).map((r) => [r.method, r.resource] as const),
  ...credentialIds.flatMap((id) =>
    routes
      .filter((r) => r.resource.includes('{id}'))
      .map((r) => [r.method, r.resource.replace('{id}', id)] as const),
  ),
];

/**
 * The one route that is NOT in the IAM table above: the LTI Advantage JWKS a Canvas developer
 * key's "Public JWK URL" points to (RFC 8615 well-known location). Unauthenticated and read-only
 * by design (Canvas fetches it without credentials), served by its own function whose role can
 * only read public keys. The jwks handler, local mode and the construct all read it from here.
 */
export const JWKS_ROUTE = { method: 'GET', resource: '/.well-known/jwks.json', auth: 'NONE' } as const;
