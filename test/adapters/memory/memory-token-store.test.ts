import { makeMemoryTokenStore } from '../../../shared/adapters/memory/memory-token-store.ts';
import { describeTokenStoreContract } from '../../support/token-store-contract.ts';

describeTokenStoreContract('memory', async () => ({
  store: makeMemoryTokenStore(),
  async teardown() {},
}));
