import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ConfigInvalidError } from '../../shared/core/errors.ts';
import { fingerprint } from '../../shared/core/fingerprint.ts';
import { CROSS_ACCOUNT, jsonBody, lambdaContext, restEvent } from '../support/api-gateway-event.ts';
import { type AwsStack, startAwsStack } from '../support/aws-stack.ts';
import { findCanaryLeaks, registerCanary } from '../support/canary.ts';
import { type CapturedStdout, CREDENTIAL_SHAPES, captureStdout } from './capture-stdout.ts';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const load = async (): Promise<Handler> => {
  vi.resetModules();
  return ((await import('../../functions/token-api.ts')) as { handler: Handler }).handler;
};

describe('functions/token-api', () => {
  let stack: AwsStack;
  let output: CapturedStdout;
  beforeAll(async () => {
    stack = await startAwsStack();
    stack.apply();
    output = captureStdout();
  });
  afterAll(async () => {
    await stack.settled('dap');
    await stack.stop();
    output.stop();
  });

  it('fails its init, naming the variable, when the environment is incomplete', async () => {
    const table = process.env.BROKER_TABLE_NAME;
    delete process.env.BROKER_TABLE_NAME;
    try {
      const error = await load().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as ConfigInvalidError).code).toBe('CONFIG_INVALID');
      expect((error as Error).message).toBe('BROKER_TABLE_NAME: is not set');
    } finally {
      process.env.BROKER_TABLE_NAME = table;
    }
  });

  it('fails its init without the API id and stage it answers for', async () => {
    const apiId = process.env.BROKER_API_ID;
    delete process.env.BROKER_API_ID;
    try {
      const error = await load().catch((e: unknown) => e);
      expect((error as ConfigInvalidError).code).toBe('CONFIG_INVALID');
      expect((error as Error).message).toBe('BROKER_API_ID: is not set');
    } finally {
      process.env.BROKER_API_ID = apiId;
    }
  });

  it('refuses a direct invocation that forges an admin identity for another API', async () => {
    const handler = await load();
    const { event } = restEvent({ method: 'DELETE', path: '/v1/credentials/dap/token' });
    const forged = {
      ...event,
      requestContext: {
        ...event.requestContext,
        apiId: 'forged0000',
        identity: {
          ...event.requestContext.identity,
          userArn: 'arn:aws:sts::111122223333:assumed-role/platform-admin/mallory',
        },
      },
    };
    const response = await handler(forged, lambdaContext('broker-token-api') as unknown as Context);
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body).error.code).toBe('POLICY_DENIED');
  });

  it('serves a token to a SigV4 caller through the whole Lambda entry, logging only fingerprints', async () => {
    const handler = await load();
    const mark = output.lines.length;
    const { event, canaries } = restEvent({
      method: 'POST',
      path: '/v1/credentials/dap/token',
      ...jsonBody({ minTtlSeconds: 300 }),
    });
    const context = lambdaContext('broker-token-api') as unknown as Context;
    const response = await handler(event, context);

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
    });
    const body = JSON.parse(response.body);
    registerCanary(body.token);
    expect(body).toMatchObject({ tokenType: 'Bearer', credentialId: 'dap', kind: 'identity-service' });
    expect(body.fingerprint).toBe(fingerprint(body.token));
    expect(body.expiresIn).toBeGreaterThanOrEqual(300);

    const logs = output.json(mark);
    const audit = logs.find((l) => l.audit === true);
    expect(audit).toMatchObject({
      message: 'token served',
      service: 'broker-test',
      fingerprint: body.fingerprint,
      caller: 'arn:aws:iam::111122223333:role/reporting',
      function_request_id: context.awsRequestId,
      correlation_id: event.requestContext.requestId,
      cold_start: expect.any(Boolean),
    });
    const emf = logs.filter((l) => l._aws !== undefined);
    expect(emf.some((m) => m.TierHit !== undefined && m.tier === 'upstream')).toBe(true);
    expect(emf.every((m) => m._aws.CloudWatchMetrics[0].Namespace === 'CanvasCredentialBroker')).toBe(true);

    expect(findCanaryLeaks(output.lines.slice(mark), [body.token, ...stack.secrets, ...canaries])).toEqual(
      [],
    );
    for (const shape of CREDENTIAL_SHAPES)
      expect(output.lines.slice(mark).some((l) => shape.test(l))).toBe(false);
  });

  it('answers denied, unknown and malformed requests with documented 4xx bodies', async () => {
    const handler = await load();
    const context = lambdaContext() as unknown as Context;
    const denied = await handler(
      restEvent({ method: 'POST', path: '/v1/credentials/dap/token', identity: CROSS_ACCOUNT }).event,
      context,
    );
    const missing = await handler(restEvent({ method: 'GET', path: '/v2/whatever' }).event, context);
    const malformed = await handler(
      restEvent({
        method: 'POST',
        path: '/v1/credentials/dap/token',
        body: '{',
        headers: { 'Content-Type': 'application/json' },
      }).event,
      context,
    );
    expect([denied.statusCode, missing.statusCode, malformed.statusCode]).toEqual([403, 404, 400]);
    for (const response of [denied, missing, malformed]) {
      expect(Object.keys(JSON.parse(response.body).error).sort()).toEqual(['code', 'message', 'requestId']);
    }
  });
});
