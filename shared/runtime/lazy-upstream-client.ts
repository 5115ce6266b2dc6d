import { InternalError } from '../core/errors.ts';
import type { UpstreamClient } from '../core/upstream-client.ts';
import { lazy } from './lazy.ts';

export interface LazyUpstreamClientOptions {
  /**
   * Whether the client renews without a new mint (has `refresh`; `canRefresh(kind)`). The engine
   * checks for `refresh` before anything is loaded, so the wrapper has to know it up front.
   */
  readonly renewable: boolean;
}

/**
 * An UpstreamClient whose HTTP clients (and the JOSE parsing they use) load on the first mint or
 * refresh, so they stay out of the code a cold start evaluates.
 */
export const makeLazyUpstreamClient = (
  load: () => Promise<UpstreamClient>,
  { renewable }: LazyUpstreamClientOptions,
): UpstreamClient => {
  // Our own code failed to load: nothing upstream said, so no upstream code fits.
  const client = lazy(
    load,
    (cause) => new InternalError('The upstream client could not be loaded.', { cause }),
  );
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
