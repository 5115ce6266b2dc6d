import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { API_RESOURCES, JWKS_ROUTE } from '../../shared/config/api-routes.ts';
import { parseRawQuery } from './parse-raw-query.ts';

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The API's resources, as the REST API defines them (the handler routes on `resource`). */
const RESOURCES: readonly { readonly resource: string; readonly pattern: RegExp }[] = API_RESOURCES.map(
  (resource) => ({
    resource,
    pattern: new RegExp(`^${resource.split('{id}').map(escapeRegExp).join('([^/]+)')}$`),
  }),
);

export interface VerifiedCaller {
  /** The IAM principal the access key belongs to (`requestContext.identity.userArn`). */
  readonly principalArn: string;
  readonly accessKeyId: string;
}

export interface ProxyEventInput {
  readonly method: string;
  /** As received: percent-encoded, no query string. */
  readonly rawPath: string;
  readonly rawQuery: string;
  /** Node's `rawHeaders`: alternating names (in the caller's case) and values. */
  readonly rawHeaders: readonly string[];
  readonly body: string | null;
  /** Absent on the unauthenticated route (the JWKS): API Gateway then sends no IAM identity. */
  readonly caller?: VerifiedCaller;
  readonly requestId: string;
  readonly requestTimeEpoch: number;
  readonly sourceIp: string;
  readonly stage: string;
}

const ARN_ACCOUNT = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/;
const ASSUMED_ROLE = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/[^/]+\/(.+)$/;

/**
 * IAM's unique id of the principal (`AIDA…` for users, `AROA…:<session>` for assumed roles). Local
 * principals have no real one, so it is derived from the ARN: stable across restarts, never secret.
 */
const principalId = (arn: string): string => {
  const suffix = createHash('sha256').update(arn).digest('hex').slice(0, 17).toUpperCase();
  const session = ASSUMED_ROLE.exec(arn)?.[1];
  return session === undefined ? `AIDA${suffix}` : `AROA${suffix}:${session}`;
};

const headerNamed = (headers: Readonly<Record<string, string>>, lowerName: string): string | undefined => {
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() === lowerName) return value;
  return undefined;
};

const decodeSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

const matchResource = (
  rawPath: string,
): { resource: string; pathParameters: Record<string, string> | null } => {
  if (rawPath === JWKS_ROUTE.resource) return { resource: JWKS_ROUTE.resource, pathParameters: null };
  for (const { resource, pattern } of RESOURCES) {
    const match = pattern.exec(rawPath);
    if (!match) continue;
    if (match[1] === undefined) return { resource, pathParameters: null };
    // API Gateway hands path parameters to the integration percent-decoded.
    const id = decodeSegment(match[1]);
    if (id !== undefined) return { resource, pathParameters: { id } };
  }
  // Anything else reaches the handler through a greedy proxy resource, so it answers with its own
  // ROUTE_NOT_FOUND instead of the gateway's (misleading) "Missing Authentication Token".
  const proxy = decodeSegment(rawPath.replace(/^\//, '')) ?? rawPath.replace(/^\//, '');
  return { resource: '/{proxy+}', pathParameters: proxy === '' ? null : { proxy } };
};

/**
 * Maps a verified HTTP request to the API Gateway REST (v1) Lambda proxy event the token-api
 * function receives in AWS: same field names and nullability, headers in the caller's case (last
 * value in `headers`, all of them in `multiValueHeaders`), percent-decoded query and path
 * parameters, and the IAM identity of the access key that signed the request.
 */
export const toProxyEvent = (input: ProxyEventInput): APIGatewayProxyEvent => {
  // Maps without prototypes, filled from caller-chosen names: a header named `constructor`,
  // `toString` or `__proto__` is just a header, never Object.prototype's member (which used to
  // make `values.push` throw and the request a 500).
  const headers: Record<string, string> = Object.create(null);
  const multiValueHeaders: Record<string, string[]> = Object.create(null);
  for (let i = 0; i + 1 < input.rawHeaders.length; i += 2) {
    const name = input.rawHeaders[i]!;
    const value = input.rawHeaders[i + 1]!;
    headers[name] = value;
    const values = multiValueHeaders[name];
    if (values) values.push(value);
    else multiValueHeaders[name] = [value];
  }

  // A malformed query was already refused by signature verification; an empty map is the fallback.
  const query = parseRawQuery(input.rawQuery) ?? new Map<string, string[]>();
  const hasQuery = query.size > 0;
  const queryStringParameters: Record<string, string> = Object.create(null);
  const multiValueQueryStringParameters: Record<string, string[]> = Object.create(null);
  for (const [name, values] of query) {
    queryStringParameters[name] = values[values.length - 1]!;
    multiValueQueryStringParameters[name] = values;
  }

  const { resource, pathParameters } = matchResource(input.rawPath);
  const arn = input.caller?.principalArn ?? null;
  const accountId = arn === null ? null : (ARN_ACCOUNT.exec(arn)?.[1] ?? null);
  const caller = arn === null ? null : principalId(arn);
  const host = headerNamed(headers, 'host');

  return {
    resource,
    path: input.rawPath,
    httpMethod: input.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? queryStringParameters : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
    pathParameters,
    stageVariables: null,
    body: input.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: accountId ?? '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: input.method,
      path: `/${input.stage}${input.rawPath}`,
      stage: input.stage,
      requestId: input.requestId,
      requestTimeEpoch: input.requestTimeEpoch,
      resourceId: 'local',
      resourcePath: resource,
      domainName: host,
      identity: {
        accessKey: input.caller?.accessKeyId ?? null,
        accountId,
        apiKey: null,
        apiKeyId: null,
        caller,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: input.sourceIp,
        user: caller,
        userAgent: headerNamed(headers, 'user-agent') ?? null,
        userArn: arn,
      },
    },
  };
};
