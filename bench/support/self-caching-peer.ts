import type { Clock } from '../../shared/core/clock.ts';

/** One process of a peer: its own token in memory, one upstream call shared by concurrent callers. */
export interface SelfCachingPeer {
  getAccessToken(): Promise<string>;
}

/**
 * What every peer process does today (the official DAP client, an LTI tool backend): keep the
 * token it got, share one in-flight issue among its concurrent callers (single flight), and issue
 * again by itself once the token has less than `marginMs` left (60 s, the official client's margin).
 */
export const makeSelfCachingPeer = (
  issue: () => Promise<{ readonly token: string; readonly expiresAt: number }>,
  clock: Clock,
  marginMs = 60_000,
): SelfCachingPeer => {
  let cached: { token: string; expiresAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  return {
    getAccessToken: () => {
      if (cached && cached.expiresAt - marginMs > clock.now()) return Promise.resolve(cached.token);
      inflight ??= issue()
        .then((issued) => {
          cached = { token: issued.token, expiresAt: issued.expiresAt };
          return issued.token;
        })
        .finally(() => {
          inflight = undefined;
        });
      return inflight;
    },
  };
};
