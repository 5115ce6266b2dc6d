import { describe, expect, it } from 'vitest';
import { toProxyEvent } from '../../dev/local/to-proxy-event.ts';
import { API_RESOURCES, API_ROUTES, routePaths } from '../../shared/config/api-routes.ts';
import { matchRoute } from '../../shared/edge/routes.ts';

const pathOf = (resource: string): string => resource.replace('{id}', 'dap');

describe('the API route table', () => {
  it.each(API_ROUTES)('routes $method $resource to $name at the edge and through local mode', (route) => {
    const event = toProxyEvent({
      method: route.method,
      rawPath: pathOf(route.resource),
      rawQuery: '',
      rawHeaders: [],
      body: null,
      caller: { principalArn: 'arn:aws:iam::111122223333:role/app', accessKeyId: 'AKIDEXAMPLE' },
      requestId: 'r-1',
      requestTimeEpoch: 0,
      sourceIp: '127.0.0.1',
      stage: 'local',
    });
    expect(event.resource).toBe(route.resource);
    const match = matchRoute(event);
    expect(match).toMatchObject({ kind: 'found', route: { name: route.name } });
    if (route.resource.includes('{id}')) expect(match).toMatchObject({ rawId: 'dap' });
  });

  it('names each route once, and every resource a route uses', () => {
    const keys = API_ROUTES.map((r) => `${r.method} ${r.resource}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(API_RESOURCES)).toEqual(new Set(API_ROUTES.map((r) => r.resource)));
  });

  it('grants a caller the token routes and an admin the metadata, refresh and purge routes of each credential', () => {
    expect(
      routePaths(
        API_ROUTES.filter((r) => !r.adminOnly),
        ['a', 'b'],
      ),
    ).toEqual([
      ['GET', '/v1/credentials'],
      ['POST', '/v1/credentials/a/token'],
      ['POST', '/v1/credentials/a/token/invalidate'],
      ['POST', '/v1/credentials/b/token'],
      ['POST', '/v1/credentials/b/token/invalidate'],
    ]);
    expect(
      routePaths(
        API_ROUTES.filter((r) => r.adminOnly),
        ['a'],
      ),
    ).toEqual([
      ['GET', '/v1/credentials/a'],
      ['POST', '/v1/credentials/a/refresh'],
      ['DELETE', '/v1/credentials/a/token'],
    ]);
  });
});
