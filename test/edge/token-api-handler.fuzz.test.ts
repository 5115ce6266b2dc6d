import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PUBLIC_ERROR_CODES } from '../../shared/edge/error-table.ts';
import { MAX_BODY_BYTES } from '../../shared/edge/parse-json-body.ts';
import { makeTokenApiHandler } from '../../shared/edge/token-api-handler.ts';
import { ASSUMED_ROLE, CROSS_ACCOUNT, IAM_USER, restEvent } from '../support/api-gateway-event.ts';
import { findCanaryLeaks } from '../support/canary.ts';
import { EDGE_CONFIG, makeEdgeBroker } from '../support/edge-broker.ts';

/**
 * Quality bar R5: generated bad inputs (events, bodies, ids, headers) through the real token API
 * handler over the real core (memory store, canary upstream). Every answer must be a documented
 * 4xx with the error body; nothing may throw, and nothing may be a 5xx. Each generator below
 * produces requests that are invalid by construction, in one or more ways at once.
 */
const DOCUMENTED_4XX = new Set([400, 403, 404, 405, 413, 415, 422]);
const ROUTES = [
  {
    method: 'POST',
    path: (id: string) => `/v1/credentials/${id}/token`,
    resource: '/v1/credentials/{id}/token',
  },
  {
    method: 'DELETE',
    path: (id: string) => `/v1/credentials/${id}/token`,
    resource: '/v1/credentials/{id}/token',
  },
  {
    method: 'POST',
    path: (id: string) => `/v1/credentials/${id}/token/invalidate`,
    resource: '/v1/credentials/{id}/token/invalidate',
  },
  { method: 'GET', path: (id: string) => `/v1/credentials/${id}`, resource: '/v1/credentials/{id}' },
  {
    method: 'POST',
    path: (id: string) => `/v1/credentials/${id}/refresh`,
    resource: '/v1/credentials/{id}/refresh',
  },
  { method: 'GET', path: () => '/v1/credentials', resource: '/v1/credentials' },
];
const METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'get',
  'post',
  '',
];
const VALID_IDS = ['dap', 'canvas-ui', 'inst'];
const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

const edge = makeEdgeBroker();
const handle = makeTokenApiHandler(edge);
/** The same, plus a credential whose every parameter is `*`: no allow-list stands in for validation. */
const wide = makeEdgeBroker({
  ...EDGE_CONFIG,
  credentials: [
    ...EDGE_CONFIG.credentials,
    {
      id: 'canvas-any',
      kind: 'canvas-jwt',
      secretId: 'canvas-secret',
      baseUrl: 'https://canvas.example.edu',
      callerParams: {
        workflows: '*',
        contextType: '*',
        contextId: '*',
        contextUuid: '*',
        canvasAudience: '*',
      },
    },
  ],
  callers: [
    ...EDGE_CONFIG.callers,
    { principals: ['arn:aws:iam::111122223333:user/ops/alice'], credentials: ['canvas-any'] },
  ],
});
const handleWide = makeTokenApiHandler(wide);
/** Names that a lookup on a plain object finds on Object.prototype. */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'valueOf'];
const template = restEvent({ method: 'POST', path: '/v1/credentials/dap/token' });
const canaries = [...edge.secrets, ...wide.secrets, ...template.canaries];
let executed = 0;
let rejected = 0;

const withEvent = (patch: Record<string, unknown>): APIGatewayProxyEvent =>
  ({ ...structuredClone(template.event), ...patch }) as APIGatewayProxyEvent;

const withIdentity = (identity: unknown): Record<string, unknown> => ({
  requestContext: { ...template.event.requestContext, identity },
});

/** The checks every generated request must pass. */
const expectDocumented4xx = async (event: unknown, handler = handle) => {
  executed++;
  let response: APIGatewayProxyResult;
  try {
    response = await handler(event as APIGatewayProxyEvent, { awsRequestId: 'fuzz-lambda-req' });
  } catch (error) {
    throw new Error(`the handler threw: ${String((error as Error)?.name)}`);
  }
  if (!DOCUMENTED_4XX.has(response.statusCode)) {
    throw new Error(`status ${response.statusCode} for ${describeEvent(event)}`);
  }
  expect(response.headers).toMatchObject({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  const body = JSON.parse(response.body) as { error?: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error!).sort()).toEqual(['code', 'message', 'requestId']);
  expect(PUBLIC_ERROR_CODES.has(body.error!.code as never)).toBe(true);
  expect(typeof body.error!.message).toBe('string');
  expect(typeof body.error!.requestId).toBe('string');
  expect((body.error!.requestId as string).length).toBeGreaterThan(0);
  rejected++;
};

// Only the shape, never the content: a failure message must not print generated secrets.
const describeEvent = (event: unknown): string => {
  if (typeof event !== 'object' || event === null) return typeof event;
  const e = event as Record<string, unknown>;
  return `${String(e.httpMethod).slice(0, 10)} ${String(e.path).slice(0, 60)} (${typeof e.body})`;
};

const arbId = fc.constantFrom(...VALID_IDS);
const arbRoute = fc.constantFrom(...ROUTES);
const arbText = fc.string({ maxLength: 80, unit: 'binary' });
const arbBadId = fc.oneof(
  arbText.filter((s) => !ID_PATTERN.test(s) && !s.includes('/') && s !== ''),
  fc.constantFrom('DAP', '-dap', 'dap_1', 'a'.repeat(64), '..', '%2e%2e', 'dap%00', ' dap', 'dáp'),
);
const arbJsonValue = fc.jsonValue({ maxDepth: 3 });
const arbBadMinTtl = fc.oneof(
  fc.integer({ max: -1 }),
  fc.integer({ min: 86_401 }),
  fc.double({ noInteger: true }),
  fc.constantFrom('60', null, true, [], {}, Number.MAX_SAFE_INTEGER + 2, Number.POSITIVE_INFINITY),
);
const arbUnknownKey = fc
  .string({ minLength: 1, maxLength: 30 })
  .filter((k) => !['minTtlSeconds', 'params', 'fingerprint', 'tokenSha256'].includes(k));
const arbBadParams = fc.oneof(
  fc.constantFrom(null, [], 'x', 42, true),
  fc.dictionary(arbUnknownKey, arbJsonValue, { minKeys: 1, maxKeys: 4 }),
  fc.record({ contextType: fc.constantFrom('Account', 'User', 'Group', '', 7) }),
  fc.record({ workflows: fc.oneof(fc.array(arbText, { maxLength: 20 }), arbJsonValue) }),
  fc.record({
    contextId: fc.oneof(
      arbText.filter((s) => !/^\d{1,20}$/.test(s)),
      fc.constantFrom(-1, 1.5, {}),
    ),
  }),
);
const arbFingerprint = fc.oneof(
  arbText.filter((s) => !/^[0-9a-f]{16}$/.test(s)),
  fc.constantFrom(null, 123, 'ABCDEF0123456789', '0123456789abcde', '0123456789abcdef0'),
);
const arbBadContentType = fc.oneof(
  fc.constantFrom(
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=latin1',
    'application/jsonp',
    'application/vnd.api+json',
    '*/*',
    '',
  ),
  arbText.filter((s) => !s.trim().toLowerCase().startsWith('application/json')),
);
const arbGarbageIdentity = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  arbJsonValue,
  fc.record({
    userArn: fc.oneof(arbText, fc.constantFrom(null, 42, '')),
    accountId: fc.oneof(arbText, fc.constant(null)),
  }),
);
/** Well-formed callers the policy grants nothing (they may still list: an empty list). */
const arbForeignIdentity = fc.record({
  userArn: fc.constantFrom(
    'arn:aws:sts::999988887777:assumed-role/reporting/s',
    'arn:aws:iam::111122223333:user/mallory',
    'arn:aws:iam::111122223333:role/reporting2',
    'arn:aws:sts::111122223333:federated-user/bob',
    'arn:aws:iam::111122223333:root',
  ),
  accountId: fc.constantFrom('999988887777', '111122223333', null),
});
const arbIdentity = fc.oneof(arbGarbageIdentity, arbForeignIdentity);

/** One definitely-bad aspect of a token request, applied to a valid template. */
const arbBadTokenRequest = fc.oneof(
  // unknown or malformed fields in a JSON body
  fc.record({ minTtlSeconds: arbBadMinTtl }).map((b) => ({ body: JSON.stringify(b) })),
  fc.record({ params: arbBadParams }).map((b) => ({ body: JSON.stringify(b) })),
  fc
    .tuple(arbUnknownKey, arbJsonValue)
    .map(([k, v]) => ({ body: JSON.stringify({ minTtlSeconds: 1, [k]: v }) })),
  // garbage, non-object or truncated JSON
  arbText
    .filter((s) => {
      if (s.trim() === '') return false;
      try {
        const parsed = JSON.parse(s);
        return typeof parsed !== 'object' || parsed === null || Array.isArray(parsed);
      } catch {
        return true;
      }
    })
    .map((body) => ({ body })),
  arbJsonValue
    .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
    .map((v) => ({ body: JSON.stringify(v) })),
  // huge bodies, plain or base64
  fc
    .integer({ min: MAX_BODY_BYTES + 1, max: 200_000 })
    .map((n) => ({ body: `{"params":{"x":"${'x'.repeat(n)}"}}` })),
  fc.integer({ min: MAX_BODY_BYTES + 1, max: 100_000 }).map((n) => ({
    body: Buffer.alloc(n, 0x20).toString('base64'),
    isBase64Encoded: true,
  })),
  // broken base64
  arbText
    .filter((s) => !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0)
    .map((body) => ({
      body: body === '' ? '%' : body,
      isBase64Encoded: true,
    })),
  // valid JSON under a media type that is not JSON
  fc.tuple(arbBadContentType, fc.constantFrom('{}', '{"minTtlSeconds":5}')).map(([contentType, body]) => ({
    body,
    headers: { ...template.event.headers, 'Content-Type': contentType },
    multiValueHeaders: null,
  })),
  // a body and no Content-Type at all
  fc.constant({ body: '{"minTtlSeconds":5}', headers: { Accept: '*/*' }, multiValueHeaders: null }),
  // conflicting Content-Type headers
  fc.constant({
    body: '{}',
    headers: { 'Content-Type': 'application/json', 'content-type': 'text/plain' },
    multiValueHeaders: null,
  }),
  // a minimum life no token of the kind can have
  fc.integer({ min: 3_600, max: 86_400 }).map((n) => ({ body: JSON.stringify({ minTtlSeconds: n }) })),
  // the body as something other than a string
  arbJsonValue.filter((v) => typeof v !== 'string' && v !== null).map((body) => ({ body })),
);

describe('R5: the token API under generated bad input', () => {
  afterAll(() => {
    // S1 over the whole run: no secret, session token or signature in any log line or metric.
    expect(findCanaryLeaks([...edge.logger.lines(), ...edge.metrics.payloads()], canaries)).toEqual([]);
  });

  it('answers malformed token requests with documented 4xx bodies', async () => {
    await fc.assert(
      fc.asyncProperty(arbId, arbBadTokenRequest, async (id, patch) => {
        await expectDocumented4xx(
          withEvent({ path: `/v1/credentials/${id}/token`, pathParameters: { id }, ...patch }),
        );
      }),
      { numRuns: 3_000 },
    );
  });

  it('answers bad routes, methods and credential ids with 404, 405 or 400', async () => {
    const arbPath = fc.oneof(
      arbText.map((s) => `/${s}`),
      fc
        .array(fc.oneof(arbText, fc.constantFrom('v1', 'credentials', 'token', 'dap', '')), { maxLength: 8 })
        .map((parts) => `/${parts.join('/')}`),
      arbBadId.map((id) => `/v1/credentials/${id}/token`),
      fc.constantFrom(
        '',
        '/',
        '//',
        '/v1/credentials/dap/token/invalidate/x',
        '/V1/credentials',
        '/v1/credentials/dap/tokens',
      ),
      fc.integer({ min: 10_000, max: 100_000 }).map((n) => `/${'a/'.repeat(n)}`),
    );
    await fc.assert(
      fc.asyncProperty(
        arbRoute,
        arbId,
        fc.oneof(
          // a wrong method on a real route
          fc
            .constantFrom(...METHODS)
            .map((method) => ({ method, path: undefined as string | undefined, badId: false })),
          // a path that is no route, or a bad id
          arbPath.map((path) => ({ method: undefined as string | undefined, path, badId: false })),
          // a real route with a malformed id
          fc.constant({
            method: undefined as string | undefined,
            path: undefined as string | undefined,
            badId: true,
          }),
        ),
        arbBadId,
        fc.boolean(),
        async (route, id, variant, badId, viaResource) => {
          const allowed = ROUTES.filter((r) => r.resource === route.resource).map((r) => r.method);
          if (variant.method !== undefined && allowed.includes(variant.method)) return;
          if (variant.badId && route.resource === '/v1/credentials') return;
          const path = variant.path ?? route.path(variant.badId ? badId : id);
          if (
            variant.path !== undefined &&
            /^\/v1\/credentials(\/[a-z0-9][a-z0-9-]{0,62}(\/(token(\/invalidate)?|refresh))?)?\/?$/.test(path)
          ) {
            return;
          }
          await expectDocumented4xx(
            withEvent({
              httpMethod: variant.method ?? route.method,
              path,
              resource: viaResource && variant.path === undefined ? route.resource : '/{proxy+}',
              pathParameters:
                viaResource && variant.path === undefined ? { id: variant.badId ? badId : id } : null,
              body: null,
            }),
          );
        },
      ),
      { numRuns: 2_500 },
    );
  });

  it('denies requests without a usable or permitted IAM identity', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbRoute,
        arbId,
        arbGarbageIdentity,
        arbForeignIdentity,
        fc.boolean(),
        async (route, id, garbage, foreign, useGarbage) => {
          const identity = useGarbage || route.resource === '/v1/credentials' ? garbage : foreign;
          await expectDocumented4xx(
            withEvent({
              httpMethod: route.method,
              path: route.path(id),
              resource: route.resource,
              pathParameters: { id },
              body: null,
              ...withIdentity(identity),
            }),
          );
        },
      ),
      { numRuns: 1_500 },
    );
  });

  it('rejects malformed invalidation reports and bodies on bodyless routes', async () => {
    const bodyless = ROUTES.filter((r) => r.method !== 'POST' || r.resource.endsWith('refresh'));
    await fc.assert(
      fc.asyncProperty(
        arbId,
        fc.oneof(
          fc.record({ fingerprint: arbFingerprint }).map((b) => ({ route: ROUTES[2]!, body: b as unknown })),
          fc.record({ tokenSha256: arbFingerprint }).map((b) => ({ route: ROUTES[2]!, body: b as unknown })),
          fc
            .record({ tokenSha256: fc.constant('0'.repeat(64)), params: arbBadParams })
            .map((b) => ({ route: ROUTES[2]!, body: b as unknown })),
          fc
            .tuple(
              fc.constantFrom(...bodyless),
              fc.dictionary(arbUnknownKey, arbJsonValue, { minKeys: 1, maxKeys: 3 }),
            )
            .map(([route, body]) => ({ route, body: body as unknown })),
        ),
        async (id, { route, body }) => {
          await expectDocumented4xx(
            withEvent({
              httpMethod: route.method,
              path: route.path(id),
              resource: route.resource,
              pathParameters: { id },
              body: JSON.stringify(body),
              ...withIdentity({
                ...template.event.requestContext.identity,
                userArn: IAM_USER.userArn,
                accountId: IAM_USER.accountId,
              }),
            }),
          );
        },
      ),
      { numRuns: 1_500 },
    );
  });

  it('answers prototype-named keys in headers, bodies, params and identities with documented 4xx', async () => {
    const arbProto = fc.constantFrom(...PROTOTYPE_NAMES);
    const alice = {
      ...template.event.requestContext.identity,
      userArn: IAM_USER.userArn,
      accountId: IAM_USER.accountId,
    };
    // Bodies are JSON text, so `__proto__` arrives as an own key, exactly as JSON.parse makes it.
    const arbBody = fc.oneof(
      arbProto.map((k) => `{${JSON.stringify(k)}:{"minTtlSeconds":1}}`),
      arbProto.map((k) => `{"minTtlSeconds":1,${JSON.stringify(k)}:1}`),
      fc
        .tuple(arbProto, arbJsonValue)
        .map(([k, v]) => `{"params":{${JSON.stringify(k)}:${JSON.stringify(v)}}}`),
      arbProto.map((k) => `{"params":{"contextType":${JSON.stringify(k)},"contextId":"1"}}`),
      arbProto.map(
        (k) => `{"params":{"contextType":${JSON.stringify(k.toUpperCase())},"contextUuid":"abc"}}`,
      ),
      arbProto.map((k) => `{"params":{"workflows":[${JSON.stringify(k)}],"contextType":"course"}}`),
      arbProto.map((k) => `{"params":{"canvasAudience":${JSON.stringify(k)}}}`),
    );
    const arbHeaders = fc
      .tuple(fc.subarray(PROTOTYPE_NAMES, { minLength: 1 }), fc.string({ maxLength: 20 }))
      .map(
        ([names, value]) =>
          JSON.parse(
            `{${names.map((n) => `${JSON.stringify(n)}:${JSON.stringify(value)}`).join(',')}}`,
          ) as Record<string, string>,
      );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('canvas-ui', 'canvas-any'),
        arbBody,
        fc.option(arbHeaders, { nil: undefined }),
        fc.boolean(),
        async (id, body, protoHeaders, headersToo) => {
          const headers = {
            ...template.event.headers,
            ...protoHeaders,
            'Content-Type': 'application/json',
          };
          const event = withEvent({
            httpMethod: 'POST',
            path: `/v1/credentials/${id}/token`,
            resource: '/v1/credentials/{id}/token',
            pathParameters: { id },
            body,
            ...(headersToo ? { headers, multiValueHeaders: { ...protoHeaders } } : {}),
            ...withIdentity(alice),
          });
          await expectDocumented4xx(event, handleWide);
        },
      ),
      { numRuns: 800 },
    );
    // A prototype name anywhere in the identity is no identity.
    for (const name of PROTOTYPE_NAMES) {
      const identity = JSON.parse(`{${JSON.stringify(name)}:{"userArn":"${IAM_USER.userArn}"}}`);
      await expectDocumented4xx(withEvent(withIdentity(identity)));
    }
    expect(wide.upstream.calls.mint).toBe(0);
  });

  it('survives events of any shape', async () => {
    const arbField = fc.oneof(fc.anything({ maxDepth: 2 }), arbText);
    const arbChaos = fc.oneof(
      fc.anything({ maxDepth: 3 }),
      fc.record(
        {
          httpMethod: fc.oneof(fc.constantFrom(...METHODS), arbField),
          path: fc.oneof(fc.constantFrom('/v1/credentials', '/v1/credentials/dap/token'), arbField),
          resource: fc.oneof(fc.constantFrom(...ROUTES.map((r) => r.resource)), arbField),
          pathParameters: fc.oneof(fc.record({ id: fc.oneof(arbId, arbField) }), arbField),
          headers: arbField,
          multiValueHeaders: arbField,
          body: fc.oneof(arbText, arbField),
          isBase64Encoded: fc.oneof(fc.boolean(), arbField),
          requestContext: fc.oneof(
            arbField,
            fc.record({ requestId: arbField, identity: fc.oneof(arbIdentity, arbField) }),
            // a real identity in a broken event: the core must still never 5xx
            fc.constantFrom(ASSUMED_ROLE, CROSS_ACCOUNT).map((identity) => ({ requestId: 'r', identity })),
          ),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(arbChaos, async (event) => {
        executed++;
        const response = await handle(event as APIGatewayProxyEvent);
        // A random event can, rarely, be a valid request from a permitted caller: that is a 200.
        if (response.statusCode === 200) return;
        executed--;
        await expectDocumented4xx(event);
      }),
      { numRuns: 2_500 },
    );
  });

  it('ran at least 10,000 generated requests, all rejected with a documented 4xx', () => {
    console.info(`R5: ${executed} generated requests, ${rejected} rejected with a documented 4xx`);
    expect(executed).toBeGreaterThanOrEqual(10_000);
    expect(rejected).toBeGreaterThanOrEqual(10_000 - 50);
  });
});
