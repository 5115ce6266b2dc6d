import { describe, expect, it } from 'vitest';
import { systemClock } from '../../shared/adapters/system-clock.ts';

describe('system clock', () => {
  it('reads the wall clock in epoch milliseconds', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('resolves a sleep', async () => {
    await expect(systemClock.sleep(0)).resolves.toBeUndefined();
  });

  it('rejects a sleep with the signal’s own reason when aborted while sleeping', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    // Long enough that only the abort can end it; the test never waits for it.
    const sleeping = systemClock.sleep(3_600_000, controller.signal);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
  });

  it('rejects a sleep at once when the signal is already aborted', async () => {
    const reason = new Error('gone');
    await expect(systemClock.sleep(3_600_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});
