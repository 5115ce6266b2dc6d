import { makeLtiAdvantageClient } from '../../shared/adapters/http/lti-advantage-client.ts';
import { makeLtiAdvantageMinter } from '../../shared/adapters/http/lti-advantage-minter.ts';
import type { AssertionSigner } from '../../shared/core/assertion-signer.ts';
import type { Clock } from '../../shared/core/clock.ts';
import { makeLtiAssertionClaims } from '../../shared/core/lti-assertion-claims.ts';
import { makeSelfCachingPeer, type SelfCachingPeer } from './self-caching-peer.ts';

export type PeerLtiClient = SelfCachingPeer;

export interface PeerLtiClientDeps {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  /** Today each tool process holds the private key itself; here it signs with the same key. */
  readonly signer: AssertionSigner;
  readonly clock: Clock;
  readonly userAgent: string;
  readonly marginMs?: number;
}

/**
 * The peer of an lti-advantage credential: what a tool backend does today. Every process signs its
 * own assertion and asks Canvas for its own token, shares it among its concurrent callers (single
 * flight) and keeps it in memory. Same HTTP client and signer as the broker: only sharing differs.
 */
export const makePeerLtiClient = (deps: PeerLtiClientDeps): PeerLtiClient => {
  const client = makeLtiAdvantageClient({
    baseUrl: deps.baseUrl,
    clock: deps.clock,
    timeoutMs: 5_000,
    userAgent: deps.userAgent,
  });
  const mint = makeLtiAdvantageMinter({
    client,
    signer: deps.signer,
    claims: makeLtiAssertionClaims({ clock: deps.clock }),
  });
  return makeSelfCachingPeer(
    () => mint({ clientId: deps.clientId, scopes: deps.scopes }),
    deps.clock,
    deps.marginMs,
  );
};
