import type { DeadLetter } from '../src/dead-letters.js';

/** A dead letter of `endpoint` holding the events `first`..`last` (by `seq`), id `<endpoint>-<first>-<last>`. */
export function letter(endpoint: string, first: number, last = first): DeadLetter {
  return {
    id: `${endpoint}-${first}-${last}`,
    endpoint,
    events: Array.from({ length: last - first + 1 }, (_, i) => ({
      v: 1 as const,
      seq: first + i,
      type: 'chat.published' as const,
      id: `m${first + i}`,
      stream: 's',
      ts: 1_700_000_000_000 + first + i,
      data: { id: `m${first + i}`, user: { id: 'u', name: 'U' }, text: `t${first + i}` },
    })),
    attempts: 3,
    lastError: 'HTTP 500',
    failedAt: 1_700_000_000_000,
  };
}
