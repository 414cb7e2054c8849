import { ErrorCode, RoarError } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { QaStore } from '@roar/store';
import { Counter, type Registry } from 'prom-client';

/** The Q&A's own series, in the gateway's registry (names in docs/operations.md). */
export class QaMetrics {
  readonly requests: Counter<'kind' | 'result' | 'reason'>;
  readonly storeErrors: Counter<'op'>;
  readonly storeCalls: Counter<'op'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'roar_qa_requests_total',
      help: 'Q&A requests (ask, upvote, mod) by result (accepted, rejected) and error code',
      labelNames: ['kind', 'result', 'reason'] as const,
      registers: [registry],
    });
    this.storeErrors = new Counter({
      name: 'roar_qa_store_errors_total',
      help: 'Failed Q&A store reads in the background, by operation (board)',
      labelNames: ['op'] as const,
      registers: [registry],
    });
    this.storeCalls = new Counter({
      name: 'roar_qa_store_calls_total',
      help: 'Q&A store calls (one Redis script each) by operation (ask, upvote_batch, board, mod, mine)',
      labelNames: ['op'] as const,
      registers: [registry],
    });
  }
}

/** `store` with every call counted in `calls`, by operation. */
export function countedQaStore(store: QaStore, calls: Counter<'op'>): QaStore {
  return {
    setOpen: (...a) => (calls.inc({ op: 'mod' }), store.setOpen(...a)),
    ask: (...a) => (calls.inc({ op: 'ask' }), store.ask(...a)),
    upvote: (...a) => (calls.inc({ op: 'upvote_batch' }), store.upvote(...a)),
    moderate: (...a) => (calls.inc({ op: 'mod' }), store.moderate(...a)),
    unpick: (...a) => (calls.inc({ op: 'mod' }), store.unpick(...a)),
    board: (...a) => (calls.inc({ op: 'board' }), store.board(...a)),
    list: (...a) => (calls.inc({ op: 'mod' }), store.list(...a)),
    mine: (...a) => (calls.inc({ op: 'mine' }), store.mine(...a)),
  };
}

/**
 * `work` (one viewer or moderator request of `kind`) counted in `requests` by result; anything
 * but a `RoarError` is logged and rejected as `internal`.
 */
export async function countedRequest<T>(
  metrics: QaMetrics,
  log: Logger,
  kind: string,
  work: Promise<T>,
): Promise<T> {
  try {
    const reply = await work;
    metrics.requests.inc({ kind, result: 'accepted', reason: '' });
    return reply;
  } catch (error) {
    const e =
      error instanceof RoarError
        ? error
        : new RoarError(ErrorCode.Internal, 'the Q&A failed; try again', { cause: error });
    if (!(error instanceof RoarError)) log.error('qa request failed', { error });
    metrics.requests.inc({ kind, result: 'rejected', reason: e.code });
    throw e;
  }
}
