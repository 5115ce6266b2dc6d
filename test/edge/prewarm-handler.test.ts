import { describe, expect, it } from 'vitest';
import type { Broker } from '../../shared/core/broker.ts';
import { StoreUnavailableError, UpstreamFatalError } from '../../shared/core/errors.ts';
import { makePrewarmHandler } from '../../shared/edge/prewarm-handler.ts';
import { scheduledEvent } from '../support/api-gateway-event.ts';
import { findCanaryLeaks, makeCapturingLogger, makeCapturingMetrics } from '../support/canary.ts';
import { makeEdgeBroker } from '../support/edge-broker.ts';

const HOUR = 3_600_000;

describe('the pre-warm handler', () => {
  it('renews stale variants used recently and reports the counts in logs and metrics', async () => {
    const edge = makeEdgeBroker();
    await edge.broker.getToken({ arn: 'lambda-invoke', accountId: '' }, { credentialId: 'dap' });
    edge.clock.advance(HOUR - 3 * 60_000);
    const handle = makePrewarmHandler(edge);
    const result = await handle(scheduledEvent());
    expect(result).toEqual({ ok: true, refreshed: 1, skipped: 0, failed: 0, failures: [] });
    expect(edge.upstream.calls.mint).toBe(2);
    expect(edge.metrics.points.filter((p) => p.name.startsWith('Prewarm'))).toEqual([
      { name: 'PrewarmRefreshed', value: 1, unit: 'Count' },
      { name: 'PrewarmSkipped', value: 0, unit: 'Count' },
      { name: 'PrewarmFailed', value: 0, unit: 'Count' },
    ]);
    expect(edge.logger.entries.at(-1)).toMatchObject({
      level: 'info',
      message: 'prewarm done',
      fields: { refreshed: 1 },
    });
    const leaks = findCanaryLeaks(
      [...edge.logger.lines(), ...edge.metrics.payloads(), JSON.stringify(result)],
      [...edge.secrets, ...edge.upstream.issued],
    );
    expect(leaks).toEqual([]);
  });

  it('reports one credential failure without failing the run', async () => {
    const edge = makeEdgeBroker();
    await edge.broker.getToken({ arn: 'lambda-invoke', accountId: '' }, { credentialId: 'dap' });
    edge.clock.advance(HOUR - 3 * 60_000);
    edge.upstream.failNext(new UpstreamFatalError('400 from upstream'));
    const result = await makePrewarmHandler(edge)(scheduledEvent());
    expect(result.ok).toBe(false);
    expect(result.failed).toBe(1);
    expect(result.failures).toEqual([
      { credentialId: 'dap', variantId: expect.any(String), code: 'UPSTREAM_FATAL' },
    ]);
    expect(edge.logger.entries.at(-1)).toMatchObject({
      level: 'warn',
      message: 'prewarm done with failures',
    });
  });

  it('turns a run that cannot even start into a reported failure, not a Lambda error', async () => {
    const logger = makeCapturingLogger();
    const metrics = makeCapturingMetrics();
    const broker = {
      prewarm: async () => {
        throw new StoreUnavailableError('Query on broker-tokens failed');
      },
    } as unknown as Broker;
    const result = await makePrewarmHandler({ broker, logger, metrics })(scheduledEvent());
    expect(result).toEqual({ ok: false, refreshed: 0, skipped: 0, failed: 1, failures: [] });
    expect(metrics.points).toEqual([{ name: 'PrewarmFailed', value: 1, unit: 'Count' }]);
    expect(logger.entries[0]).toMatchObject({ level: 'error', fields: { code: 'STORE_UNAVAILABLE' } });
  });
});
