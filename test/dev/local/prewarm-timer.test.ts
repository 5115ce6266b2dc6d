import { afterEach, describe, expect, it, vi } from 'vitest';
import { startPrewarmTimer } from '../../../dev/local/prewarm-timer.ts';
import type { PrewarmReport } from '../../../shared/core/broker.ts';
import { makeCapturingLogger } from '../../support/canary.ts';

const REPORT: PrewarmReport = { refreshed: 1, skipped: 0, failed: 0, failures: [] };

afterEach(() => {
  vi.useRealTimers();
});

describe('the local pre-warm timer', () => {
  it('runs the pre-warm once per interval, never two runs at once', async () => {
    vi.useFakeTimers();
    let runs = 0;
    let release: (() => void) | undefined;
    const prewarm = () => {
      runs++;
      return new Promise<PrewarmReport>((resolve) => {
        release = () => resolve(REPORT);
      });
    };
    const timer = startPrewarmTimer({ prewarm, intervalMs: 60_000, logger: makeCapturingLogger() });
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(120_000); // the first run has not finished: no overlap
    expect(runs).toBe(1);
    release?.();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toBe(2);
    release?.();
    await timer.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(runs).toBe(2);
  });

  it('logs a failed run and goes on with the next one', async () => {
    vi.useFakeTimers();
    const logger = makeCapturingLogger();
    let runs = 0;
    const prewarm = async () => {
      runs++;
      if (runs === 1) throw new Error('table down');
      return REPORT;
    };
    const timer = startPrewarmTimer({ prewarm, intervalMs: 1_000, logger });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(runs).toBe(2);
    expect(logger.entries.map((e) => e.message)).toEqual(['local prewarm run failed', 'local prewarm run']);
    await timer.stop();
  });
});
