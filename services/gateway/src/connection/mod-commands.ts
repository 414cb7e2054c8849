import { ErrorCode, RoarError, type ModRequest } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import { performModAction } from '../moderation/commands.js';
import type { ModerationService } from '../moderation/service.js';
import type { Session, Socket } from '../transport/socket.js';
import type { Replies } from './replies.js';

/** A moderator's command over WebSocket: the same actions, rights and audit as the admin API. */
export class ModCommands {
  readonly #moderation: ModerationService;
  readonly #replies: Replies;
  readonly #log: Logger;

  constructor(moderation: ModerationService, replies: Replies, log: Logger) {
    this.#moderation = moderation;
    this.#replies = replies;
    this.#log = log;
  }

  handle(ws: Socket, s: Session, req: ModRequest): void {
    performModAction(this.#moderation, s.identity, req).then(
      () => {
        if (s.open && req.ref !== undefined) this.#replies.send(ws, { type: 'ack', ref: req.ref });
      },
      (error: unknown) => {
        if (!s.open) return;
        if (error instanceof RoarError) return this.#replies.reject(ws, error, req.ref, req.stream);
        this.#log.error('moderation command failed', { stream: req.stream, error });
        this.#replies.reject(
          ws,
          new RoarError(ErrorCode.Internal, 'the action failed; try again'),
          req.ref,
          req.stream,
        );
      },
    );
  }
}
