import { describe, expect, it } from 'vitest';
import type { Clock } from '../../shared/core/clock.ts';
import { makeSkewedClock } from './skewed-clock.ts';

/** A base clock stuck at `now` that records the sleeps asked of it. */
const recordingClock = (now: number) => {
  const sleeps: Array<{ ms: number; signal: AbortSignal | undefined }> = [];
  const clock: Clock = {
    now: () => now,
    sleep: async (ms, signal) => {
      sleeps.push({ ms, signal });
    },
  };
  return { clock, sleeps };
};

describe('skewed clock', () => {
  it('reads ahead of its base by a positive offset and behind it by a negative one', () => {
    const { clock } = recordingClock(1_000_000);
    expect(makeSkewedClock(clock, 300_000).now()).toBe(1_300_000);
    expect(makeSkewedClock(clock, -300_000).now()).toBe(700_000);
  });

  it('sleeps for the same duration as its base, passing the signal on', async () => {
    const { clock, sleeps } = recordingClock(0);
    const signal = new AbortController().signal;
    await makeSkewedClock(clock, 300_000).sleep(250, signal);
    expect(sleeps).toEqual([{ ms: 250, signal }]);
  });
});
