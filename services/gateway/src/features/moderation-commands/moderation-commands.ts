import { ErrorCode, RoarError, type ModRequest } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import { performModAction } from '../../moderation/commands.js';
import type { ModerationService } from '../../moderation/service.js';
import type { Session, Socket } from '../../transport/socket.js';
import type { StreamFeature } from '../feature.js';

export interface ModerationCommandsOptions {
  moderation: ModerationService;
  log: Logger;
}

/** A moderator's command over WebSocket: the same actions, rights and audit as the admin API. */
export class ModerationCommands implements StreamFeature<'mod'> {
  readonly name = 'moderation-commands';
  readonly requests = ['mod'] as const;
  readonly #o: ModerationCommandsOptions;

  constructor(options: ModerationCommandsOptions) {
    this.#o = options;
  }

  /** Resolves with the ack (for a request with a `ref`); rejects with a `RoarError`. */
  async handle(
    req: ModRequest,
    _ws: Socket,
    s: Session,
  ): Promise<{ type: 'ack'; ref: number } | undefined> {
    try {
      await performModAction(this.#o.moderation, s.identity, req);
    } catch (error) {
      if (error instanceof RoarError) throw error;
      if (s.open) this.#o.log.error('moderation command failed', { stream: req.stream, error });
      throw new RoarError(ErrorCode.Internal, 'the action failed; try again');
    }
    return req.ref !== undefined ? { type: 'ack', ref: req.ref } : undefined;
  }
}
