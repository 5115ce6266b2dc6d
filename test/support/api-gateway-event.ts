import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { makeCanary } from './canary.ts';

/** The API's own account, and the three kinds of callers the broker sees. */
export const API_ACCOUNT = '111122223333';

export interface CallerIdentity {
  readonly userArn: string;
  readonly accountId: string;
  readonly caller: string;
  readonly accessKey: string;
}

export const IAM_USER: CallerIdentity = {
  userArn: 'arn:aws:iam::111122223333:user/ops/alice',
  accountId: '111122223333',
  caller: 'AIDAEXAMPLEUSERID0001',
  accessKey: 'AKIAEXAMPLEACCESSKEY',
};

export const ASSUMED_ROLE: CallerIdentity = {
  userArn: 'arn:aws:sts::111122223333:assumed-role/reporting/reporting-task-7f3a',
  accountId: '111122223333',
  caller: 'AROAEXAMPLEROLEID0001:reporting-task-7f3a',
  accessKey: 'ASIAEXAMPLESESSION01',
};

export const CROSS_ACCOUNT: CallerIdentity = {
  userArn: 'arn:aws:sts::444455556666:assumed-role/partner-etl/i-0abc123def4567890',
  accountId: '444455556666',
  caller: 'AROAEXAMPLEROLEID0002:i-0abc123def4567890',
  accessKey: 'ASIAEXAMPLESESSION02',
};

export interface RestEventOptions {
  readonly method: string;
  /** The path as the client sent it, e.g. `/v1/credentials/dap/token`. */
  readonly path: string;
  /** The API Gateway resource template; derived from the path when omitted. */
  readonly resource?: string;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly headers?: Record<string, string>;
  /** `null` models a request without an IAM identity (a misconfigured method). */
  readonly identity?: CallerIdentity | null;
  readonly requestId?: string;
}

export interface RestEvent {
  readonly event: APIGatewayProxyEvent;
  /** Secrets the event carries like a real one (SigV4 signature, session token), as canaries. */
  readonly canaries: readonly string[];
}

const TEMPLATES = [
  '/v1/credentials/{id}/token/invalidate',
  '/v1/credentials/{id}/token',
  '/v1/credentials/{id}/refresh',
  '/v1/credentials/{id}',
  '/v1/credentials',
];

const templateOf = (path: string): { resource: string; id?: string } => {
  const parts = path.split('/');
  for (const template of TEMPLATES) {
    const t = template.split('/');
    if (t.length !== parts.length) continue;
    if (t.every((s, i) => s === '{id}' || s === parts[i])) {
      const index = t.indexOf('{id}');
      return index < 0 ? { resource: template } : { resource: template, id: parts[index] };
    }
  }
  return { resource: '/{proxy+}' };
};

/**
 * A complete API Gateway REST (v1) proxy event for an AWS_IAM-authorized method, as Lambda receives
 * it: SigV4 headers, both header maps, `requestContext.identity` with `userArn` and `accountId`,
 * the stage in `requestContext.path` but not in `path`.
 */
export const restEvent = (options: RestEventOptions): RestEvent => {
  const signature = makeCanary('signature');
  const sessionToken = makeCanary('session');
  const identity = options.identity === undefined ? ASSUMED_ROLE : options.identity;
  const { resource, id } = options.resource
    ? { resource: options.resource, id: templateOf(options.path).id }
    : templateOf(options.path);
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const headers: Record<string, string> = {
    Accept: 'application/json',
    Authorization: `AWS4-HMAC-SHA256 Credential=${identity?.accessKey ?? 'ASIAEXAMPLE'}/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=${signature}`,
    Host: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
    'User-Agent': 'reporting-service/1.4 aws-sdk-js/3',
    'X-Amz-Date': '20260101T120000Z',
    'X-Amz-Security-Token': sessionToken,
    'X-Amzn-Trace-Id': 'Root=1-65920f40-0123456789abcdef01234567',
    'X-Forwarded-For': '10.0.12.34',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
    ...options.headers,
  };
  const requestId = options.requestId ?? randomUUID();
  const event: APIGatewayProxyEvent = {
    resource,
    path: options.path,
    httpMethod: options.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: id === undefined ? null : { id },
    stageVariables: null,
    requestContext: {
      accountId: API_ACCOUNT,
      apiId: 'abcdef1234',
      authorizer: null,
      domainName: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abcdef1234',
      extendedRequestId: 'Q1w2E3r4T5y6U7i=',
      httpMethod: options.method,
      identity: {
        accessKey: identity?.accessKey ?? null,
        accountId: identity?.accountId ?? null,
        apiKey: null,
        apiKeyId: null,
        caller: identity?.caller ?? null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: identity ? 'o-exampleorg1' : null,
        sourceIp: '10.0.12.34',
        user: identity?.caller ?? null,
        userAgent: headers['User-Agent'] ?? null,
        userArn: identity?.userArn ?? null,
      },
      path: `/prod${options.path}`,
      protocol: 'HTTP/1.1',
      requestId,
      requestTime: '01/Jan/2026:12:00:00 +0000',
      requestTimeEpoch: now,
      resourceId: 'a1b2c3',
      resourcePath: resource,
      stage: 'prod',
    },
    body: options.body ?? null,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
  return { event, canaries: [signature, sessionToken] };
};

/** A JSON POST body with its Content-Type. */
export const jsonBody = (value: unknown): Pick<RestEventOptions, 'body' | 'headers'> => ({
  body: JSON.stringify(value),
  headers: { 'Content-Type': 'application/json' },
});

/** An EventBridge scheduled event, as the pre-warm rule delivers it. */
export const scheduledEvent = () => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: API_ACCOUNT,
  time: '2026-01-01T12:00:00Z',
  region: 'us-east-1',
  resources: [`arn:aws:events:us-east-1:${API_ACCOUNT}:rule/broker-prewarm`],
  detail: {},
});

/** A Lambda context, as far as the handlers and middlewares read it. */
export const lambdaContext = (functionName = 'broker-token-api'): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:${API_ACCOUNT}:function:${functionName}`,
  memoryLimitInMB: '512',
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: '2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
});
