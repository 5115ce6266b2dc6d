import { describe, expect, it } from 'vitest';
import { type ProxyEventInput, toProxyEvent } from '../../../dev/local/to-proxy-event.ts';

const input = (overrides: Partial<ProxyEventInput> = {}): ProxyEventInput => ({
  method: 'POST',
  rawPath: '/v1/credentials/dap/token',
  rawQuery: '',
  rawHeaders: ['Host', '127.0.0.1:8787', 'Content-Type', 'application/json', 'User-Agent', 'test/1.0'],
  body: '{}',
  caller: { principalArn: 'arn:aws:iam::000000000000:user/local-developer', accessKeyId: 'AKIAEXAMPLE' },
  requestId: 'req-1',
  requestTimeEpoch: 1_700_000_000_000,
  sourceIp: '127.0.0.1',
  stage: 'local',
  ...overrides,
});

describe('toProxyEvent', () => {
  it.each([
    ['/v1/credentials', '/v1/credentials', null],
    ['/v1/credentials/dap', '/v1/credentials/{id}', { id: 'dap' }],
    ['/v1/credentials/dap/token', '/v1/credentials/{id}/token', { id: 'dap' }],
    ['/v1/credentials/dap/token/invalidate', '/v1/credentials/{id}/token/invalidate', { id: 'dap' }],
    ['/v1/credentials/dap/refresh', '/v1/credentials/{id}/refresh', { id: 'dap' }],
  ])('maps %s to the resource %s', (rawPath, resource, pathParameters) => {
    expect(toProxyEvent(input({ rawPath }))).toMatchObject({ resource, path: rawPath, pathParameters });
  });

  it('decodes the id path parameter, as API Gateway does', () => {
    expect(toProxyEvent(input({ rawPath: '/v1/credentials/a%20b/token' })).pathParameters).toEqual({
      id: 'a b',
    });
  });

  it('routes any other path through a greedy proxy resource', () => {
    expect(toProxyEvent(input({ rawPath: '/v1/credentials/' }))).toMatchObject({
      resource: '/{proxy+}',
      pathParameters: { proxy: 'v1/credentials/' },
    });
    expect(toProxyEvent(input({ rawPath: '/' }))).toMatchObject({
      resource: '/{proxy+}',
      pathParameters: null,
    });
  });

  it("keeps the caller's header case, the last value in headers and all in multiValueHeaders", () => {
    const event = toProxyEvent(input({ rawHeaders: ['X-Tag', 'a', 'X-Tag', 'b', 'host', 'h'] }));
    expect(event.headers).toEqual({ 'X-Tag': 'b', host: 'h' });
    expect(event.multiValueHeaders).toEqual({ 'X-Tag': ['a', 'b'], host: ['h'] });
    expect(event.requestContext.domainName).toBe('h');
  });

  it('gives null query parameters when there are none, and decoded ones otherwise', () => {
    expect(toProxyEvent(input())).toMatchObject({
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
    });
    expect(toProxyEvent(input({ rawQuery: 'a=1&a=2&b=x%2By&c' }))).toMatchObject({
      queryStringParameters: { a: '2', b: 'x+y', c: '' },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x+y'], c: [''] },
    });
  });

  it('fills requestContext.identity from the verified key', () => {
    const { requestContext } = toProxyEvent(input());
    expect(requestContext).toMatchObject({
      accountId: '000000000000',
      requestId: 'req-1',
      requestTimeEpoch: 1_700_000_000_000,
      stage: 'local',
      path: '/local/v1/credentials/dap/token',
      identity: {
        userArn: 'arn:aws:iam::000000000000:user/local-developer',
        accountId: '000000000000',
        accessKey: 'AKIAEXAMPLE',
        sourceIp: '127.0.0.1',
        userAgent: 'test/1.0',
        apiKey: null,
        cognitoIdentityId: null,
      },
    });
    expect(requestContext.identity.caller).toBe(requestContext.identity.user);
    expect(toProxyEvent(input()).requestContext.identity.caller).toBe(requestContext.identity.caller);
  });

  it('names an assumed-role caller by role id and session, as IAM does', () => {
    const { identity } = toProxyEvent(
      input({
        caller: {
          principalArn: 'arn:aws:sts::123456789012:assumed-role/Svc/session-1',
          accessKeyId: 'ASIA1',
        },
      }),
    ).requestContext;
    expect(identity).toMatchObject({
      accountId: '123456789012',
      userArn: 'arn:aws:sts::123456789012:assumed-role/Svc/session-1',
    });
    expect(identity.caller).toMatch(/^AROA[0-9A-F]{17}:session-1$/);
  });

  it('passes a body through as text, never base64', () => {
    expect(toProxyEvent(input({ body: null }))).toMatchObject({ body: null, isBase64Encoded: false });
    expect(toProxyEvent(input({ body: '{"a":1}' }))).toMatchObject({
      body: '{"a":1}',
      isBase64Encoded: false,
    });
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'keeps a header or query parameter named %s as an ordinary entry',
    (name) => {
      const event = toProxyEvent(
        input({ rawHeaders: ['Host', 'h', name, 'a', name, 'b'], rawQuery: `${name}=1&${name}=2` }),
      );
      expect(Object.hasOwn(event.headers, name)).toBe(true);
      expect(event.headers[name]).toBe('b');
      expect(event.multiValueHeaders[name]).toEqual(['a', 'b']);
      expect(event.queryStringParameters?.[name]).toBe('2');
      expect(event.multiValueQueryStringParameters?.[name]).toEqual(['1', '2']);
    },
  );
});
