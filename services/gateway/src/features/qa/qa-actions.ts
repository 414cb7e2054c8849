import type { Bus, Subjects } from '@roar/bus';
import { EncodedEvent, ErrorCode, RoarError, type QaAction, type QaEvent } from '@roar/protocol';
import type { Store } from '@roar/store';
import { requireModerator, type Actor } from '../../moderation/actor.js';

export interface QaCommandDeps {
  store: Pick<Store, 'qa' | 'moderation'>;
  bus: Bus;
  subjects: Subjects;
  config: { qaTopN: number };
  now: () => number;
}

/**
 * A moderator's (broadcaster's, admin's, the backend's) action on a stream's Q&A, over WebSocket
 * or the admin API: checked against the same rights as every moderation action, applied in the
 * store, written to the audit log, then the board after it is read once and published on
 * `<prefix>.s.<stream>.qa` so every gateway shows it at once (a hidden question vanishes, the
 * picked one is highlighted) rather than at its next read. Resolves with that board.
 */
export async function moderateQa(
  d: QaCommandDeps,
  actor: Actor,
  stream: string,
  action: QaAction,
): Promise<EncodedEvent<QaEvent>> {
  requireModerator(actor, stream);
  const { qa } = d.store;
  const now = d.now();
  switch (action.type) {
    case 'open':
    case 'close':
      await qa.setOpen(stream, action.type === 'open', now);
      break;
    case 'unpick':
      await qa.unpick(stream, now);
      break;
    case 'hide':
    case 'show':
    case 'answer':
    case 'pick': {
      const state = await qa.moderate(stream, action.id, action.type, now);
      if (state === undefined) throw new RoarError(ErrorCode.NotFound, 'no such question');
      if (action.type === 'pick' && (state === 'hidden' || state === 'held'))
        throw new RoarError(ErrorCode.QuestionHidden, 'show the question before picking it');
      break;
    }
  }
  await d.store.moderation.appendAudit({
    at: now,
    scope: stream,
    actor: actor.id,
    action: `qa_${action.type}`,
    ...('id' in action ? { target: action.id } : {}),
  });
  const board = await qa.board(stream, d.config.qaTopN);
  const encoded = EncodedEvent.of<QaEvent>({ type: 'qa', ...board });
  d.bus.publish(d.subjects.stream(stream, 'qa'), encoded.msgpack);
  return encoded;
}
