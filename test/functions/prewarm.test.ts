import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PrewarmResult } from '../../shared/edge/prewarm-handler.ts';
import { lambdaContext, scheduledEvent } from '../support/api-gateway-event.ts';
import { type AwsStack, startAwsStack } from '../support/aws-stack.ts';
import { findCanaryLeaks } from '../support/canary.ts';
import { type CapturedStdout, captureStdout } from './capture-stdout.ts';

type Handler = (event: unknown, context: Context) => Promise<PrewarmResult>;

describe('functions/prewarm', () => {
  let stack: AwsStack;
  let output: CapturedStdout;
  beforeAll(async () => {
    stack = await startAwsStack();
    stack.apply();
    output = captureStdout();
  });
  afterAll(async () => {
    await stack.stop();
    output.stop();
  });

  it('runs on a schedule event and reports its counts in logs and EMF metrics', async () => {
    vi.resetModules();
    const { handler } = (await import('../../functions/prewarm.ts')) as { handler: Handler };
    const mark = output.lines.length;
    const result = await handler(scheduledEvent(), lambdaContext('broker-prewarm') as unknown as Context);
    expect(result).toEqual({ ok: true, refreshed: 0, skipped: 0, failed: 0, failures: [] });
    const lines = output.json(mark);
    expect(lines.find((l) => l.message === 'prewarm done')).toMatchObject({
      refreshed: 0,
      skipped: 0,
      failed: 0,
    });
    const emf = lines.find((l) => l._aws !== undefined && l.PrewarmRefreshed !== undefined);
    expect(emf).toMatchObject({ PrewarmRefreshed: 0, PrewarmSkipped: 0, PrewarmFailed: 0 });
    expect(findCanaryLeaks(output.lines.slice(mark), stack.secrets)).toEqual([]);
  });
});
