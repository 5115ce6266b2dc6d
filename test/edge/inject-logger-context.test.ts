import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { injectLoggerContext, type LoggerContextTarget } from '../../shared/edge/inject-logger-context.ts';
import { lambdaContext, restEvent } from '../support/api-gateway-event.ts';

const recordingTarget = () => {
  const calls: [string, unknown][] = [];
  const target: LoggerContextTarget = {
    addContext: (context) => calls.push(['addContext', context.awsRequestId]),
    appendKeys: (keys) => calls.push(['appendKeys', keys]),
    resetKeys: () => calls.push(['resetKeys', undefined]),
  };
  return { target, calls };
};

describe('injectLoggerContext', () => {
  it('adds the Lambda context and the API request id, and resets them after the invocation', async () => {
    const { target, calls } = recordingTarget();
    const handler = middy(async () => ({ statusCode: 200 })).use(injectLoggerContext(target));
    const context = lambdaContext() as unknown as Context;
    const { event } = restEvent({ method: 'GET', path: '/v1/credentials', requestId: 'apigw-1' });
    await handler(event, context);
    expect(calls).toEqual([
      ['addContext', context.awsRequestId],
      ['appendKeys', { correlation_id: 'apigw-1' }],
      ['resetKeys', undefined],
    ]);
  });

  it('resets the keys when the handler throws too', async () => {
    const { target, calls } = recordingTarget();
    const handler = middy(async () => {
      throw new Error('boom');
    }).use(injectLoggerContext(target));
    await expect(handler({}, lambdaContext() as unknown as Context)).rejects.toThrow('boom');
    expect(calls.map(([name]) => name)).toEqual(['addContext', 'resetKeys']);
  });

  it('never passes the event itself to the logger', async () => {
    const { target, calls } = recordingTarget();
    const { event, canaries } = restEvent({ method: 'GET', path: '/v1/credentials' });
    await middy(async () => null).use(injectLoggerContext(target))(
      event,
      lambdaContext() as unknown as Context,
    );
    const logged = JSON.stringify(calls);
    for (const canary of canaries) expect(logged.includes(canary)).toBe(false);
  });
});
