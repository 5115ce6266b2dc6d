import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../dev/simulator/index.ts';
import { ENV } from '../../shared/config/env-names.ts';
import { USER_AGENT } from '../rotation/support/rotation-harness.ts';
import { registerCanary } from '../support/canary.ts';

const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:canvas/broker-AbCdEf';
const TOKEN = 'c0ffee00-1111-4222-8333-444455556666';
const sm = mockClient(SecretsManagerClient);

const CONTEXT = {
  functionName: 'rotate-canvas-token',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:rotate-canvas-token',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/rotate-canvas-token',
  logStreamName: 'stream',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

// On wall-clock time: the function uses the system clock for the new token's expiry.
let sim: RunningSimulator;

const loadHandler = async (env: Record<string, string | undefined>) => {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  return (await import('../../functions/rotate-canvas-token.ts')).handler;
};

const validEnv = () => ({
  AWS_REGION: 'us-east-1',
  [ENV.canvasBaseUrl]: sim.url,
  [ENV.rotationTokenExpiryDays]: '90',
  [ENV.logLevel]: 'WARN',
});

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(async () => {
  sm.restore();
  vi.unstubAllEnvs();
  await sim.stop();
});
beforeEach(() => {
  sm.reset();
  sim.reset();
  vi.unstubAllEnvs();
});

describe('the rotate-canvas-token function', () => {
  it('fails its cold start when the Canvas URL or the expiry is missing', async () => {
    await expect(loadHandler({ ...validEnv(), [ENV.rotationTokenExpiryDays]: '' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    await expect(loadHandler({ ...validEnv(), [ENV.canvasBaseUrl]: '' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it('refuses an event that is not a rotation event without calling AWS', async () => {
    const handler = await loadHandler(validEnv());
    await expect(handler({ Step: 'createSecret' }, CONTEXT)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(sm.calls()).toHaveLength(0);
  });

  it('runs createSecret end to end: a new Canvas token stored as AWSPENDING under the request token', async () => {
    const seedToken = sim.seeds().canvas.accessToken;
    registerCanary(seedToken);
    sm.on(DescribeSecretCommand).resolves({
      ARN: SECRET_ID,
      RotationEnabled: true,
      VersionIdsToStages: { 'v-1': ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] },
    });
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ID, VersionStage: 'AWSCURRENT' }).resolves({
      VersionId: 'v-1',
      VersionStages: ['AWSCURRENT'],
      SecretString: JSON.stringify({ accessToken: seedToken, userId: 'self' }),
    });
    sm.on(GetSecretValueCommand, {
      SecretId: SECRET_ID,
      VersionId: TOKEN,
      VersionStage: 'AWSPENDING',
    }).rejects(new ResourceNotFoundException({ $metadata: {}, message: 'no value for this version' }));
    sm.on(PutSecretValueCommand).resolves({ VersionId: TOKEN });

    const handler = await loadHandler(validEnv());
    await handler({ SecretId: SECRET_ID, ClientRequestToken: TOKEN, Step: 'createSecret' }, CONTEXT);

    const put = sm.commandCalls(PutSecretValueCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      SecretId: SECRET_ID,
      ClientRequestToken: TOKEN,
      VersionStages: ['AWSPENDING'],
    });
    const stored = JSON.parse(put?.SecretString ?? '{}') as { accessToken: string; tokenId: string };
    registerCanary(stored.accessToken);
    expect(stored.accessToken).not.toBe(seedToken);
    expect(stored.tokenId).toMatch(/^\d+$/);
    const whoami = await fetch(`${sim.url}/api/v1/users/self`, {
      headers: { authorization: `Bearer ${stored.accessToken}`, 'user-agent': USER_AGENT },
    });
    expect(whoami.status).toBe(200);
    await whoami.arrayBuffer();
  });
});
