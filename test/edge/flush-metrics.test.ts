import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { flushMetrics } from '../../shared/edge/flush-metrics.ts';
import { lambdaContext } from '../support/api-gateway-event.ts';

const context = lambdaContext() as unknown as Context;

describe('flushMetrics', () => {
  it('flushes after the first successful invocation', async () => {
    let flushes = 0;
    await middy(async () => 'ok').use(flushMetrics({ flush: () => flushes++ }))({}, context);
    expect(flushes).toBe(1);
  });

  it('publishes at most once per interval on a busy instance, then again once it has passed', async () => {
    let flushes = 0;
    let time = 0;
    const handler = middy(async () => 'ok').use(
      flushMetrics({ flush: () => flushes++ }, { minIntervalMs: 1_000, now: () => time }),
    );
    for (let i = 0; i < 50; i++) {
      await handler({}, context);
      time += 10;
    }
    expect(flushes).toBe(1);
    time += 1_000;
    await handler({}, context);
    expect(flushes).toBe(2);
  });

  it('publishes after every invocation when the interval is 0', async () => {
    let flushes = 0;
    const handler = middy(async () => 'ok').use(
      flushMetrics({ flush: () => flushes++ }, { minIntervalMs: 0 }),
    );
    await handler({}, context);
    await handler({}, context);
    expect(flushes).toBe(2);
  });

  it('always flushes when the handler throws, and lets the error through', async () => {
    let flushes = 0;
    const handler = middy(async () => {
      throw new Error('boom');
    }).use(flushMetrics({ flush: () => flushes++ }, { now: () => 0 }));
    await expect(handler({}, context)).rejects.toThrow('boom');
    await expect(handler({}, context)).rejects.toThrow('boom');
    expect(flushes).toBe(2);
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
