import { describe, expect, it } from 'vitest';
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

describe('MemoryLog duplicate window', () => {
  it('stores an id again once its duplicate window has passed, and not before', async () => {
    let now = 1_000_000;
    const log = new MemoryLog({ duplicateWindowMs: 1000, now: () => now });
    const chat = (id: string, ts: number) =>
      log.append('s', {
        type: 'chat.published',
        id,
        ts,
        data: { id, user: { id: 'u', name: 'u' }, text: 'hi' },
      });
    chat('a', now);
    chat('b', now);
    now += 999;
    chat('a', now);
    now += 2;
    // `a` and `b` were first seen 1,001 ms ago: both are forgotten, `c` is new.
    chat('a', now);
    chat('c', now);
    chat('b', now);
    const ids = (await log.read({ stream: 's' })).map((e) => e.id);
    expect(ids).toEqual(['a', 'b', 'a', 'c', 'b']);
  });
});
