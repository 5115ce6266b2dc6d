import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export const API_ACCOUNT = '111122223333';
export const CALLER_ROLE_ARN = `arn:aws:iam::${API_ACCOUNT}:role/reporting`;
const SESSION_ARN = `arn:aws:sts::${API_ACCOUNT}:assumed-role/reporting/reporting-task-7f3a`;

/**
 * An API Gateway REST (v1) proxy event for `POST /v1/credentials/{id}/token` on an AWS_IAM method,
 * as Lambda receives it from an assumed-role caller: SigV4 headers (placeholder signature), both
 * header maps, the identity block, the stage in `requestContext.path` only.
 */
export const tokenRequestEvent = (credentialId: string, body: unknown): APIGatewayProxyEvent => {
  const path = `/v1/credentials/${credentialId}/token`;
  const headers: Record<string, string> = {
    Accept: 'application/json',
    Authorization:
      'AWS4-HMAC-SHA256 Credential=ASIAEXAMPLESESSION01/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=0000000000000000000000000000000000000000000000000000000000000000',
    'Content-Type': 'application/json',
    Host: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
    'User-Agent': 'reporting-service/1.4 aws-sdk-js/3',
    'X-Amz-Date': '20260101T120000Z',
    'X-Amz-Security-Token': 'placeholder-session-token',
    'X-Amzn-Trace-Id': 'Root=1-65920f40-0123456789abcdef01234567',
    'X-Forwarded-For': '10.0.12.34',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
  };
  return {
    resource: '/v1/credentials/{id}/token',
    path,
    httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { id: credentialId },
    stageVariables: null,
    requestContext: {
      accountId: API_ACCOUNT,
      apiId: 'abcdef1234',
      authorizer: null,
      domainName: 'abcdef1234.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abcdef1234',
      extendedRequestId: 'Q1w2E3r4T5y6U7i=',
      httpMethod: 'POST',
      identity: {
        accessKey: 'ASIAEXAMPLESESSION01',
        accountId: API_ACCOUNT,
        apiKey: null,
        apiKeyId: null,
        caller: 'AROAEXAMPLEROLEID0001:reporting-task-7f3a',
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: 'o-exampleorg1',
        sourceIp: '10.0.12.34',
        user: 'AROAEXAMPLEROLEID0001:reporting-task-7f3a',
        userAgent: headers['User-Agent'] ?? null,
        userArn: SESSION_ARN,
      },
      path: `/prod${path}`,
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTime: '01/Jan/2026:12:00:00 +0000',
      requestTimeEpoch: Date.UTC(2026, 0, 1, 12),
      resourceId: 'a1b2c3',
      resourcePath: '/v1/credentials/{id}/token',
      stage: 'prod',
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
};

/** The same Lambda context the handler tests use. */
export { lambdaContext } from '../../test/support/api-gateway-event.ts';
