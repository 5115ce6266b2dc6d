import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  REQUEST_BUDGET_MS,
  refreshWorstCaseMs,
  validateSettings,
} from '../../shared/core/broker-settings.ts';

/** The AWS composition's deadlines (make-aws-broker.ts): each call with its 2 SDK attempts. */
const AWS = { secretReadMs: 2 * 3_000, cipherSealMs: 2 * 2_000, storeWriteMs: 2 * 1_500 };

describe('the time settings', () => {
  it('ship a lease that covers the slowest refresh the AWS deadlines allow', () => {
    expect(refreshWorstCaseMs(DEFAULT_SETTINGS, AWS)).toBe(39_000);
    expect(DEFAULT_SETTINGS.leaseMs).toBeGreaterThanOrEqual(refreshWorstCaseMs(DEFAULT_SETTINGS, AWS));
    expect(() => validateSettings(DEFAULT_SETTINGS, AWS)).not.toThrow();
  });

  it('refuse a lease shorter than the slowest refresh (the old 15 s lease)', () => {
    expect(() => validateSettings({ ...DEFAULT_SETTINGS, leaseMs: 15_000 }, AWS)).toThrow(/leaseMs/);
  });

  it('keep a wait plus a refresh of its own inside the API Gateway budget', () => {
    expect(DEFAULT_SETTINGS.maxWaitMs + 2 * DEFAULT_SETTINGS.upstreamTimeoutMs).toBeLessThanOrEqual(
      REQUEST_BUDGET_MS,
    );
    expect(() => validateSettings({ ...DEFAULT_SETTINGS, maxWaitMs: 20_000 }, AWS)).toThrow(/maxWaitMs/);
  });

  it('refuse an uncertainty tolerance no measurement can meet', () => {
    expect(() => validateSettings({ ...DEFAULT_SETTINGS, clockSkewToleranceMs: 100 })).toThrow(
      /clockSkewToleranceMs/,
    );
  });
});
