import { describeLogContract } from './log-contract.js';
import { MemoryLog } from './memory-log.js';

describeLogContract('memory', async () => {
  const log = new MemoryLog();
  return {
    log,
    withRetention: async (retention) => new MemoryLog({ retention }),
    dispose: () => log.close(),
  };
});
