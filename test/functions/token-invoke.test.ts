import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fingerprint } from '../../shared/core/fingerprint.ts';
import type { TokenInvokeResult } from '../../shared/edge/token-invoke-handler.ts';
import { lambdaContext } from '../support/api-gateway-event.ts';
import { type AwsStack, startAwsStack } from '../support/aws-stack.ts';
import { findCanaryLeaks, registerCanary } from '../support/canary.ts';
import { type CapturedStdout, CREDENTIAL_SHAPES, captureStdout } from './capture-stdout.ts';

type Handler = (event: unknown, context: Context) => Promise<TokenInvokeResult>;

describe('functions/token-invoke', () => {
  let stack: AwsStack;
  let handler: Handler;
  let output: CapturedStdout;
  beforeAll(async () => {
    stack = await startAwsStack();
    stack.apply();
    output = captureStdout();
    vi.resetModules();
    handler = ((await import('../../functions/token-invoke.ts')) as { handler: Handler }).handler;
  });
  afterAll(async () => {
    await stack.settled('dap');
    await stack.stop();
    output.stop();
  });

  it('returns the API token body to a direct invocation', async () => {
    const mark = output.lines.length;
    const result = await handler(
      { credentialId: 'dap', minTtlSeconds: 60 },
      lambdaContext('broker-token-invoke') as unknown as Context,
    );
    if ('error' in result) throw new Error(`unexpected ${result.error.code}`);
    registerCanary(result.token);
    expect(result).toMatchObject({
      tokenType: 'Bearer',
      credentialId: 'dap',
      fingerprint: fingerprint(result.token),
    });
    expect(output.json(mark).find((l) => l.audit)).toMatchObject({
      caller: 'lambda-invoke',
      fingerprint: result.fingerprint,
    });
    expect(findCanaryLeaks(output.lines.slice(mark), [result.token, ...stack.secrets])).toEqual([]);
    for (const shape of CREDENTIAL_SHAPES)
      expect(output.lines.slice(mark).some((l) => shape.test(l))).toBe(false);
  });

  it('answers a malformed or forbidden invocation with a typed error instead of throwing', async () => {
    const context = lambdaContext('broker-token-invoke') as unknown as Context;
    expect(await handler({ credentialId: 'dap', extra: true }, context)).toEqual({
      error: { code: 'BAD_REQUEST', message: expect.any(String), requestId: context.awsRequestId },
    });
    expect(await handler({ credentialId: 'inst' }, context)).toMatchObject({
      error: { code: 'POLICY_DENIED' },
    });
    expect(await handler('not an object', context)).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });
});
