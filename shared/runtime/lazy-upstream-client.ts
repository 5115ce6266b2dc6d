import { InternalError, isBrokerError } from '../core/errors.ts';
import type { UpstreamClient } from '../core/upstream-client.ts';

export interface LazyUpstreamClientOptions {
  /**
   * Whether the client renews without a new mint (has `refresh`). The engine checks for `refresh`
   * before anything is loaded, so the wrapper has to know it up front.
   */
  readonly renewable: boolean;
}

/**
 * An UpstreamClient built on first use: upstream is called only to mint or refresh, which most
 * invocations never do, so the HTTP clients (and the JOSE parsing they use) stay out of the code a
 * cold start evaluates (quality bar P4). A failed load is not cached: the next call tries again.
 */
export const makeLazyUpstreamClient = (
  load: () => Promise<UpstreamClient>,
  { renewable }: LazyUpstreamClientOptions,
): UpstreamClient => {
  let pending: Promise<UpstreamClient> | undefined;
  const client = (): Promise<UpstreamClient> => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      // Our own code failed to load: nothing upstream said, so no upstream code fits.
      throw isBrokerError(error)
        ? error
        : new InternalError('The upstream client could not be loaded.', { cause: error });
    });
    return pending;
  };
  const mint: UpstreamClient['mint'] = async (request) => (await client()).mint(request);
  if (!renewable) return { mint };
  return {
    mint,
    refresh: async (request) => {
      const loaded = await client();
      // A new mint is always a valid renewal, should the loaded client turn out to have no refresh.
      return loaded.refresh ? loaded.refresh(request) : loaded.mint(request);
    },
  };
};
