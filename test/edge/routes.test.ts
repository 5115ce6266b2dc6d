import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../shared/edge/routes.ts';

const found = (event: Parameters<typeof matchRoute>[0]) => {
  const match = matchRoute(event);
  return match.kind === 'found' ? { route: match.route.name, id: match.rawId } : match;
};

describe('matchRoute', () => {
  it.each([
    ['POST', '/v1/credentials/{id}/token', 'getToken'],
    ['DELETE', '/v1/credentials/{id}/token', 'purgeTokens'],
    ['POST', '/v1/credentials/{id}/token/invalidate', 'invalidateToken'],
    ['GET', '/v1/credentials/{id}', 'describeCredential'],
    ['POST', '/v1/credentials/{id}/refresh', 'refreshCredential'],
  ])('routes %s %s by resource template and path parameter', (method, resource, route) => {
    expect(found({ httpMethod: method, resource, pathParameters: { id: 'dap' }, path: '/ignored' })).toEqual({
      route,
      id: 'dap',
    });
  });

  it('routes the listing, which has no id', () => {
    expect(found({ httpMethod: 'GET', resource: '/v1/credentials', path: '/v1/credentials' })).toEqual({
      route: 'listCredentials',
      id: undefined,
    });
  });

  it.each([
    ['POST', '/v1/credentials/dap/token', 'getToken', 'dap'],
    ['POST', '/v1/credentials/dap/token/', 'getToken', 'dap'],
    ['GET', '/v1/credentials', 'listCredentials', undefined],
    ['GET', '/v1/credentials/', 'listCredentials', undefined],
    ['POST', '/v1/credentials/canvas-ui/token/invalidate', 'invalidateToken', 'canvas-ui'],
  ])('routes %s %s by path when there is no template (local mode)', (method, path, route, id) => {
    expect(found({ httpMethod: method, path })).toEqual({ route, id });
    expect(found({ httpMethod: method, path, resource: '/{proxy+}' })).toEqual({ route, id });
  });

  it('leaves the id raw for the handler to validate', () => {
    expect(found({ httpMethod: 'GET', path: '/v1/credentials/NOT..valid' })).toEqual({
      route: 'describeCredential',
      id: 'NOT..valid',
    });
  });

  it.each([
    '/',
    '/v1',
    '/v2/credentials',
    '/v1/credentials/dap/tokens',
    '/v1/credentials//token',
    '',
    '/v1/credentials/a/b/c/d',
  ])('finds no route for %j', (path) => {
    expect(matchRoute({ httpMethod: 'GET', path })).toEqual({ kind: 'not-found' });
  });

  it('finds no route in an event without a path', () => {
    expect(matchRoute({})).toEqual({ kind: 'not-found' });
    expect(matchRoute({ httpMethod: 'GET', path: 42 })).toEqual({ kind: 'not-found' });
  });

  it('lists the methods a known path allows', () => {
    expect(matchRoute({ httpMethod: 'PUT', path: '/v1/credentials/dap/token' })).toEqual({
      kind: 'method-not-allowed',
      allow: ['POST', 'DELETE'],
    });
    expect(matchRoute({ httpMethod: 'get', path: '/v1/credentials' })).toEqual({
      kind: 'method-not-allowed',
      allow: ['GET'],
    });
  });
});
