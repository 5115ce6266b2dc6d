import { API_RESOURCES, API_ROUTES, type ApiRoute } from '../config/api-routes.ts';

export type { RouteName } from '../config/api-routes.ts';

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: ApiRoute; readonly rawId: unknown }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not-found' };

const SEGMENTS = new Map(API_RESOURCES.map((resource) => [resource, resource.split('/')]));

/** The resource template `path` instantiates, and its `{id}` segment. */
const resourceOfPath = (path: string): { resource: string; id: string | undefined } | undefined => {
  // A single trailing slash is tolerated (`/v1/credentials/`); clients differ on it.
  const parts = (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).split('/');
  for (const [resource, template] of SEGMENTS) {
    if (template.length !== parts.length) continue;
    let id: string | undefined;
    const matches = template.every((segment, i) => {
      const part = parts[i]!;
      if (segment === '{id}') {
        id = part;
        return part !== '';
      }
      return segment === part;
    });
    if (matches) return { resource, id };
  }
  return undefined;
};

const stringOr = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Finds the route of a REST proxy event. `resource` (the API Gateway template) wins when it is one
 * of ours; otherwise the raw `path` is matched, which covers a `{proxy+}` resource and local mode
 * (raw HTTP mapped to a proxy event). Unknown path → not-found; known path, other method →
 * method-not-allowed with the methods that exist.
 */
export const matchRoute = (event: {
  readonly resource?: unknown;
  readonly path?: unknown;
  readonly httpMethod?: unknown;
  readonly pathParameters?: unknown;
}): RouteMatch => {
  const method = stringOr(event.httpMethod);
  const declared = stringOr(event.resource);
  let resource: string | undefined;
  let rawId: unknown;
  if (declared !== undefined && SEGMENTS.has(declared)) {
    resource = declared;
    const params = event.pathParameters;
    rawId =
      typeof params === 'object' && params !== null ? (params as Record<string, unknown>).id : undefined;
  }
  if (resource === undefined || (rawId === undefined && declared !== '/v1/credentials')) {
    const path = stringOr(event.path);
    const found = path === undefined ? undefined : resourceOfPath(path);
    if (found === undefined) return { kind: 'not-found' };
    resource = found.resource;
    rawId = found.id;
  }
  const candidates = API_ROUTES.filter((r) => r.resource === resource);
  const route = candidates.find((r) => r.method === method);
  if (route === undefined) return { kind: 'method-not-allowed', allow: candidates.map((r) => r.method) };
  return { kind: 'found', route, rawId };
};
