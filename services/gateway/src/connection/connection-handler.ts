import type { Bus, Subjects } from '@roar/bus';
import {
  ErrorCode,
  PROTOCOL_VERSION,
  RoarError,
  type ChatRequest,
  type StatusMessage,
  type ServerMessage,
} from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { Admission } from '../load/admission.js';
import { AuthError, type Authenticator } from '../base/auth.js';
import type { GatewayConfig } from '../base/config.js';
import type { HistoryWriter } from '../streams/history-writer.js';
import type { StallWatch } from '../base/stall-watch.js';
import { ChatHandler, type ChatHandlerOptions } from './chat-handler.js';
import { FrameCheck, MAX_BACKLOG_FRAMES } from './frame-check.js';
import { Membership } from './membership.js';
import { ModCommands } from './mod-commands.js';
import { OpenConnections } from './open-connections.js';
import { Reactions } from './reactions.js';
import { Replies } from './replies.js';
import type { MessageIds } from '../base/message-ids.js';
import type { BackendHooks } from '../hooks/index.js';
import type { Holds } from '../moderation/holds.js';
import type { ModerationService } from '../moderation/service.js';
import type { BanList } from '../moderation/rules/stream-moderation.js';
import type { OwnMessages } from '../streams/own-messages.js';
import type { GatewayMetrics } from '../base/metrics.js';
import type { Fanout } from '../streams/fanout.js';
import type { SlowClients } from '../load/slow-clients.js';
import { Disconnect, refusal } from '../transport/disconnect.js';
import type { Session, Socket } from '../transport/socket.js';
import type { StreamRegistry } from '../streams/stream-registry.js';
import type { Tracing } from '../base/tracing.js';

export interface ConnectionHandlerOptions {
  config: GatewayConfig;
  auth: Authenticator;
  admission: Admission;
  slow: SlowClients;
  fanout: Fanout;
  own: OwnMessages;
  registry: StreamRegistry;
  history: HistoryWriter;
  bus: Bus;
  subjects: Subjects;
  metrics: GatewayMetrics;
  ids: MessageIds;
  log: Logger;
  now: () => number;
  moderation: ModerationService;
  holds: Holds;
  globalBans: BanList;
  /** The app backend's connect, join and publish hooks (each optional). */
  hooks: BackendHooks;
  /** Event-loop stalls, for the chat rate limit (see `ChatHandlerOptions.stalls`). */
  stalls?: StallWatch;
  /** Traces chat; undefined when tracing is off (see tracing.ts). */
  tracing?: Tracing | undefined;
  /** Appends accepted chat to the durable event log (see `ChatHandlerOptions.chatLog`). */
  chatLog?: ChatHandlerOptions['chatLog'];
}

/**
 * The protocol, per connection: what each client message does and what the client is told.
 * Every request is answered by exactly one reply carrying its `ref` (ack, joined, left, pong or
 * error); requests without a `ref` get a reply only when they fail.
 */
export class ConnectionHandler {
  readonly #o: ConnectionHandlerOptions;
  readonly chat: ChatHandler;
  readonly reactions: Reactions;
  readonly #replies: Replies;
  readonly #open: OpenConnections;
  readonly #membership: Membership;
  readonly #frames: FrameCheck;
  readonly #modCommands: ModCommands;
  /** The current degradation status, told to every connection at its welcome. */
  #status: ServerMessage | undefined;

  constructor(options: ConnectionHandlerOptions) {
    this.#o = options;
    const { config, metrics, registry } = options;
    this.#replies = new Replies(metrics);
    this.#open = new OpenConnections(this.#replies, metrics, config.fanoutSliceSockets);
    this.#membership = new Membership({
      registry,
      fanout: options.fanout,
      metrics,
      historyOnJoin: config.historyOnJoin,
      maxStreamsPerConnection: config.maxStreamsPerConnection,
      joinHook: options.hooks.join,
      replies: this.#replies,
    });
    this.#frames = new FrameCheck({
      metrics,
      replies: this.#replies,
      frameRatePerS: config.frameRatePerS,
      frameBurst: config.frameBurst,
      maxPayloadBytes: config.maxPayloadBytes,
    });
    this.#modCommands = new ModCommands(options.moderation, this.#replies, options.log);
    this.reactions = new Reactions({
      registry,
      metrics,
      anonymousReactions: config.anonymousReactions,
      reactions: config.reactions,
      reactionRatePerS: config.reactionRatePerS,
      reactionBurst: config.reactionBurst,
    });
    this.chat = new ChatHandler({ ...options, automod: options.hooks.publish });
  }

  get openSockets(): ReadonlySet<Socket> {
    return this.#open.sockets;
  }

  /**
   * The degradation level changed: from level 4 only moderators, broadcasters and admins may
   * chat; above 0 the status is told to every joiner; every connection is told now.
   */
  setLevel(status: StatusMessage): void {
    this.chat.setReadOnly(status.level >= 4);
    this.#status = status.level > 0 ? status : undefined;
    this.broadcast(status);
  }

  open(ws: Socket): void {
    const s = ws.getUserData();
    s.open = true;
    this.#open.add(ws);
    this.#o.admission.opened(s.ip);
    this.#o.metrics.connections.inc();
    if (s.authError) return this.#refuse(ws, s.authError);
    const { token, credentials } = s;
    const hook = this.#o.hooks.connect;
    // A JWT, else the app's session through the connect hook, else anonymous.
    const identified =
      token !== undefined
        ? this.#o.auth.verify(token)
        : credentials && hook?.signIn(credentials, s.ip, s.identity, this.#o.config.allowAnonymous);
    if (identified === undefined) {
      this.#o.metrics.connectionsTotal.inc({ result: 'accepted' });
      return this.#welcome(ws, s);
    }
    s.token = undefined;
    s.credentials = undefined;
    identified.then(
      (identity) => {
        if (!s.open) return;
        s.identity = identity;
        this.#o.metrics.connectionsTotal.inc({ result: 'accepted' });
        this.#welcome(ws, s);
      },
      (error: unknown) => {
        if (!s.open) return;
        if (!(error instanceof AuthError))
          this.#o.log.error('token verification failed', { error });
        this.#refuse(
          ws,
          error instanceof AuthError ? error : new AuthError(ErrorCode.Internal, 'sign-in failed'),
        );
      },
    );
  }

  /** Tells the client why it cannot stay, then closes with a do-not-reconnect code. */
  #refuse(ws: Socket, error: RoarError): void {
    this.#o.metrics.connectionsTotal.inc({ result: 'refused_auth' });
    ws.cork(() => {
      this.#replies.send(ws, { type: 'error', code: error.code, message: error.message });
      this.#replies.close(ws, refusal(error));
    });
  }

  #welcome(ws: Socket, s: Session): void {
    const { identity } = s;
    s.ready = true;
    const backlog = s.backlog;
    s.backlog = undefined;
    ws.cork(() => {
      this.#replies.send(ws, {
        type: 'welcome',
        v: PROTOCOL_VERSION,
        session: s.id,
        user: identity.anonymous
          ? null
          : {
              id: identity.userId ?? identity.key,
              name: identity.name,
              roles: [...identity.roles],
            },
        maxStreams: this.#o.config.maxStreamsPerConnection,
      });
      if (this.#status) this.#replies.send(ws, this.#status);
      for (const frame of backlog ?? []) if (s.open) this.#frame(ws, s, frame);
    });
  }

  close(ws: Socket): void {
    const s = ws.getUserData();
    if (!s.open) return;
    s.open = false;
    this.#open.delete(ws);
    this.#o.admission.closedConnection(s.ip);
    this.#o.slow.forget(ws);
    this.#o.metrics.connections.dec();
    this.#membership.leaveAll(s, this.#o.now());
  }

  message(ws: Socket, data: ArrayBuffer): void {
    const s = ws.getUserData();
    if (!s.open) return;
    if (!s.ready) {
      // The token is still being checked; keep a few frames (copied: uWS reuses the buffer).
      s.backlog ??= [];
      if (s.backlog.length >= MAX_BACKLOG_FRAMES) return this.#replies.close(ws, Disconnect.Flood);
      s.backlog.push(new Uint8Array(data.slice(0)));
      return;
    }
    this.#frame(ws, s, data);
  }

  #frame(ws: Socket, s: Session, data: ArrayBuffer | Uint8Array): void {
    const now = this.#o.now();
    const replies = this.#replies;
    const request = this.#frames.decode(ws, s, data, now);
    if (request === undefined) return;
    try {
      switch (request.type) {
        case 'join':
          return this.#membership.join(ws, s, request);
        case 'leave':
          return replies.send(ws, this.#membership.leave(ws, s, request, now));
        case 'chat':
          return this.#chat(ws, s, request);
        case 'mod':
          return this.#modCommands.handle(ws, s, request);
        case 'react':
          return this.#send(ws, this.reactions.react(s, request, now));
        case 'ping':
          return replies.send(ws, {
            type: 'pong',
            ...(request.ref !== undefined ? { ref: request.ref } : {}),
            ts: now,
          });
      }
    } catch (error) {
      if (!(error instanceof RoarError)) throw error;
      replies.reject(ws, error, request.ref, 'stream' in request ? request.stream : undefined);
    }
  }

  #send(ws: Socket, reply: ServerMessage | undefined): void {
    if (reply !== undefined) this.#replies.send(ws, reply);
  }

  /** A chat message: its ack, or its error, once the chat handler has decided. */
  #chat(ws: Socket, s: Session, req: ChatRequest): void {
    const started = performance.now();
    this.chat.accept(ws, s, req, started).then(
      (taken) => {
        const ack = this.chat.taken(taken, started);
        if (ack !== undefined && s.open) this.#replies.send(ws, ack);
      },
      (error: unknown) => {
        const e = this.chat.refused(error, req, started);
        if (s.open) this.#replies.reject(ws, e, req.ref, req.stream);
      },
    );
  }

  /** Sends one message to every connection (see `OpenConnections.broadcast`). */
  broadcast(message: ServerMessage): void {
    this.#open.broadcast(message);
  }

  /** Closes every connection with "reconnect", spread over `windowMs` (see `OpenConnections`). */
  drain(windowMs: number): Promise<void> {
    return this.#open.drain(windowMs);
  }
}
