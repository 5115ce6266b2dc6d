import type { ClientCredentials } from '../../shared/adapters/http/identity-service-client.ts';
import { makeIdentityServiceClient } from '../../shared/adapters/http/identity-service-client.ts';
import type { Clock } from '../../shared/core/clock.ts';
import { makeSelfCachingPeer, type SelfCachingPeer } from './self-caching-peer.ts';

export type PeerDapClient = SelfCachingPeer;

export interface PeerDapClientDeps {
  readonly baseUrl: string;
  readonly credentials: ClientCredentials;
  readonly clock: Clock;
  readonly userAgent: string;
  /** Renew this long before expiry, as the official client's margin does. */
  readonly marginMs?: number;
}

/**
 * The peer the broker is compared with: what each service does today with the official DAP client.
 * Every process keeps its own token in memory, shares one login among its concurrent callers
 * (single flight), and logs in by itself whenever it has no token with life left. It uses the same
 * HTTP client as the broker so only the sharing strategy differs.
 */
export const makePeerDapClient = (deps: PeerDapClientDeps): PeerDapClient => {
  const http = makeIdentityServiceClient({
    baseUrl: deps.baseUrl,
    clock: deps.clock,
    timeoutMs: 5_000,
    userAgent: deps.userAgent,
  });
  return makeSelfCachingPeer(() => http.login(deps.credentials), deps.clock, deps.marginMs);
};
