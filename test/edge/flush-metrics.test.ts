import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { flushMetrics } from '../../shared/edge/flush-metrics.ts';
import { lambdaContext } from '../support/api-gateway-event.ts';

const context = lambdaContext() as unknown as Context;

describe('flushMetrics', () => {
  it('flushes once after a successful invocation', async () => {
    let flushes = 0;
    await middy(async () => 'ok').use(flushMetrics({ flush: () => flushes++ }))({}, context);
    expect(flushes).toBe(1);
  });

  it('flushes once when the handler throws, and lets the error through', async () => {
    let flushes = 0;
    const handler = middy(async () => {
      throw new Error('boom');
    }).use(flushMetrics({ flush: () => flushes++ }));
    await expect(handler({}, context)).rejects.toThrow('boom');
    expect(flushes).toBe(1);
  });

  it('never turns a served response into an error when the flush fails', async () => {
    const handler = middy(async () => 'served').use(
      flushMetrics({
        flush: () => {
          throw new Error('stdout closed');
        },
      }),
    );
    await expect(handler({}, context)).resolves.toBe('served');
  });
});
