import type { BrokerSettings } from './broker-settings.ts';

/**
 * How long no instance may call upstream after the `count`-th consecutive failure: capped
 * exponential backoff with full jitter (spreads a fleet's retries), never shorter than the
 * upstream's Retry-After nor than `backoffMinMs`.
 */
export const backoffHoldMs = (
  count: number,
  retryAfterSeconds: number | undefined,
  settings: BrokerSettings,
  random: () => number,
): number => {
  const ceiling = Math.min(settings.backoffCapMs, settings.backoffBaseMs * 2 ** Math.min(count - 1, 30));
  const jittered = Math.floor(random() * ceiling);
  const retryAfterMs = retryAfterSeconds === undefined ? 0 : Math.min(retryAfterSeconds, 3_600) * 1000;
  return Math.max(jittered, settings.backoffMinMs, retryAfterMs);
};
