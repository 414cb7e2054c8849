import { createMemoryStore } from './memory-store.js';
import {
  CONTRACT_AUDIT_CAPACITY,
  CONTRACT_HELD_CAPACITY,
  CONTRACT_HISTORY_CAPACITY,
  describeStoreContract,
} from './store-contract.js';

describeStoreContract('memory', async () => ({
  store: createMemoryStore({
    historyCapacity: CONTRACT_HISTORY_CAPACITY,
    auditCapacity: CONTRACT_AUDIT_CAPACITY,
    heldCapacity: CONTRACT_HELD_CAPACITY,
  }),
  async dispose() {},
}));
