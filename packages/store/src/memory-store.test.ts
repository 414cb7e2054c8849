import { createMemoryStore } from './memory-store.js';
import { CONTRACT_HISTORY_CAPACITY, describeStoreContract } from './store-contract.js';

describeStoreContract('memory', async () => ({
  store: createMemoryStore({ historyCapacity: CONTRACT_HISTORY_CAPACITY }),
  async dispose() {},
}));
