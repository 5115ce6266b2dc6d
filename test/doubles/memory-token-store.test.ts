import { describeTokenStoreContract } from '../support/token-store-contract.ts';
import { makeMemoryTokenStore } from './memory-token-store.ts';

describeTokenStoreContract('memory', async () => ({
  store: makeMemoryTokenStore(),
  async teardown() {},
}));
