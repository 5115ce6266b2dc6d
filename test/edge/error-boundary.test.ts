import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { errorBoundary } from '../../shared/edge/error-boundary.ts';
import { toPublicError } from '../../shared/edge/error-table.ts';
import { errorResponse } from '../../shared/edge/http-response.ts';
import { lambdaContext } from '../support/api-gateway-event.ts';
import { makeCapturingLogger } from '../support/canary.ts';

const context = lambdaContext() as unknown as Context;

describe('errorBoundary', () => {
  it('turns an error escaping the middleware chain into a generic 500 and logs it', async () => {
    const logger = makeCapturingLogger();
    const handler = middy(async () => ({ statusCode: 200, body: '{}' }))
      .before(() => {
        throw new Error('middleware broke with internals');
      })
      .use(errorBoundary(logger, (error, requestId) => errorResponse(toPublicError(error), requestId)));
    const response = await handler({}, context);
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'INTERNAL', message: 'Internal error.', requestId: context.awsRequestId },
    });
    expect(logger.entries).toEqual([
      expect.objectContaining({ level: 'error', message: 'unhandled error in middleware chain' }),
    ]);
  });

  it('leaves a successful response alone', async () => {
    const logger = makeCapturingLogger();
    const handler = middy(async () => 'fine').use(errorBoundary(logger, () => 'replaced'));
    await expect(handler({}, context)).resolves.toBe('fine');
    expect(logger.entries).toEqual([]);
  });
});
