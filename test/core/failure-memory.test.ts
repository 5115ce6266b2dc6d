import { describe, expect, it } from 'vitest';
import { makeFailureMemory } from '../../shared/core/failure-memory.ts';
import { makeCapturingLogger, makeCapturingMetrics } from '../support/canary.ts';
import { makeFakeClock } from '../support/fake-clock.ts';

const VARIANT = { credentialId: 'dap', variantId: 'v1', instanceId: 'i-1' };
const MIN = 60_000;

const setup = () => {
  const clock = makeFakeClock();
  const logger = makeCapturingLogger();
  const metrics = makeCapturingMetrics();
  let n = 0;
  const memory = makeFailureMemory({
    clock,
    unhealthyAfterMs: 15 * MIN,
    logger,
    metrics,
    newId: () => `f-${++n}`,
  });
  return { clock, logger, metrics, memory };
};

describe('makeFailureMemory', () => {
  it('starts a streak at the first failure, with a fresh id each record', () => {
    const { clock, memory } = setup();
    const first = memory.next(undefined, 'UPSTREAM_RETRYABLE', 1_000, 1);
    expect(first).toEqual({
      id: 'f-1',
      code: 'UPSTREAM_RETRYABLE',
      at: clock.now(),
      holdMs: 1_000,
      count: 1,
      since: clock.now(),
    });
    expect(memory.next(first, 'UPSTREAM_RETRYABLE', 2_000, 2).id).toBe('f-2');
  });

  it('carries the streak start while the code repeats and restarts it when the code changes', () => {
    const { clock, memory } = setup();
    const start = clock.now();
    const first = memory.next(undefined, 'UPSTREAM_RETRYABLE', 1_000, 1);
    clock.advance(5 * MIN);
    const second = memory.next(first, 'UPSTREAM_RETRYABLE', 2_000, 2);
    expect(second.since).toBe(start);
    clock.advance(MIN);
    const other = memory.next(second, 'UPSTREAM_TIMEOUT', 4_000, 3);
    expect(other.since).toBe(clock.now());
  });

  it('marks the variant unhealthy once the same failure outlives unhealthyAfterMs, and keeps the mark', () => {
    const { clock, memory } = setup();
    let record = memory.next(undefined, 'UPSTREAM_RETRYABLE', 1_000, 1);
    clock.advance(14 * MIN);
    record = memory.next(record, 'UPSTREAM_RETRYABLE', 1_000, 2);
    expect(record.unhealthyAt).toBeUndefined();
    clock.advance(MIN);
    record = memory.next(record, 'UPSTREAM_RETRYABLE', 1_000, 3);
    const crossedAt = clock.now();
    expect(record.unhealthyAt).toBe(crossedAt);
    clock.advance(MIN);
    // Even when the code changes, the variant stays unhealthy until a token is written.
    expect(memory.next(record, 'UPSTREAM_TIMEOUT', 1_000, 4).unhealthyAt).toBe(crossedAt);
  });

  it('reports one WARN line at the crossing and a metric for every written record', () => {
    const { clock, memory, logger, metrics } = setup();
    const healthy = memory.next(undefined, 'UPSTREAM_RETRYABLE', 1_000, 1);
    memory.written(VARIANT, undefined, healthy);
    clock.advance(16 * MIN);
    const sick = memory.next(healthy, 'UPSTREAM_RETRYABLE', 1_000, 2);
    memory.written(VARIANT, healthy, sick);
    memory.written(VARIANT, sick, memory.next(sick, 'UPSTREAM_RETRYABLE', 1_000, 3));
    expect(metrics.points.map((p) => p.value)).toEqual([0, 1, 1]);
    expect(logger.entries).toEqual([
      {
        level: 'warn',
        message: 'credential unhealthy: upstream keeps failing the same way',
        fields: {
          ...VARIANT,
          code: 'UPSTREAM_RETRYABLE',
          since: healthy.since,
          failingForMs: 16 * MIN,
          count: 2,
        },
      },
    ]);
  });

  it('reports recovery once, and only for a variant that was unhealthy', () => {
    const { clock, memory, logger, metrics } = setup();
    memory.recovered(VARIANT, memory.next(undefined, 'UPSTREAM_RETRYABLE', 1_000, 1));
    expect(logger.entries).toEqual([]);
    const sick = { ...memory.next(undefined, 'UPSTREAM_RETRYABLE', 1_000, 1), unhealthyAt: clock.now() };
    clock.advance(3 * MIN);
    memory.recovered(VARIANT, sick);
    expect(logger.entries).toEqual([
      {
        level: 'warn',
        message: 'credential healthy again: a token was issued',
        fields: { ...VARIANT, previousCode: 'UPSTREAM_RETRYABLE', unhealthyForMs: 3 * MIN },
      },
    ]);
    expect(metrics.points.map((p) => [p.name, p.value])).toEqual([
      ['CredentialUnhealthy', 0],
      ['CredentialUnhealthy', 0],
    ]);
  });
});
