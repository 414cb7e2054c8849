import { describeDeadLetterContract } from './dead-letters-contract.js';
import { MemoryDeadLetterJournal } from './dead-letters.js';

describeDeadLetterContract('memory', async () => {
  const journal = new MemoryDeadLetterJournal();
  return { journal, reopen: async () => journal, dispose: async () => undefined };
});
