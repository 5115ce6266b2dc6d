import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../shared/core/fingerprint.ts';
import { loadLambdaEnvironment } from '../../shared/runtime/load-lambda-environment.ts';
import { makeAwsBroker } from '../../shared/runtime/make-aws-broker.ts';
import { type AwsStack, startAwsStack } from '../support/aws-stack.ts';
import {
  findCanaryLeaks,
  makeCapturingLogger,
  makeCapturingMetrics,
  registerCanary,
} from '../support/canary.ts';

const REPORTING = { arn: 'arn:aws:iam::111122223333:role/reporting', accountId: '111122223333' };

describe('makeAwsBroker', () => {
  let stack: AwsStack;
  beforeAll(async () => {
    stack = await startAwsStack();
    stack.apply();
  });
  afterAll(() => stack.stop());

  const compose = () => {
    const logger = makeCapturingLogger();
    const metrics = makeCapturingMetrics();
    const broker = makeAwsBroker(loadLambdaEnvironment(process.env), { logger, metrics });
    return { broker, logger, metrics };
  };

  it('touches neither KMS nor Secrets Manager to compose, or to deny a request', async () => {
    const before = { ...stack.calls };
    const { broker } = compose();
    await expect(broker.getToken(REPORTING, { credentialId: 'inst' })).rejects.toMatchObject({
      code: 'POLICY_DENIED',
    });
    expect(stack.calls).toEqual(before);
  });

  it('mints through the real HTTP client, seals with a KMS data key, and shares through DynamoDB', async () => {
    const first = compose();
    const served = await first.broker.getToken(REPORTING, { credentialId: 'dap', minTtlSeconds: 60 });
    registerCanary(served.token);
    expect(served).toMatchObject({
      tier: 'upstream',
      kind: 'identity-service',
      fingerprint: fingerprint(served.token),
    });
    expect(await stack.sim.introspect(served.token)).toMatchObject({ active: true, kind: 'ids' });
    expect(stack.calls.generateDataKey).toBe(1);
    expect(stack.calls.getSecretValue).toBe(1);

    // Another Lambda instance: separate memory, same table.
    const second = compose();
    const shared = await second.broker.getToken(REPORTING, { credentialId: 'dap' });
    expect(shared.tier).toBe('table');
    expect(shared.token).toBe(served.token);
    expect(stack.calls.decrypt).toBe(1);
    expect(stack.calls.getSecretValue).toBe(1);
    expect(stack.sim.stats()).toMatchObject({ 'ids-login': 1 });

    const leaks = findCanaryLeaks(
      [
        ...first.logger.lines(),
        ...second.logger.lines(),
        ...first.metrics.payloads(),
        ...second.metrics.payloads(),
      ],
      [served.token, ...stack.secrets],
    );
    expect(leaks).toEqual([]);
  });
});
