import type { Bus, Subjects } from '@roar/bus';
import {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  ProtocolError,
  RoarError,
  type ErrorMessage,
  type JoinRequest,
  type LeaveRequest,
  type ModRequest,
  type ReactRequest,
  type StatusMessage,
  type Codec,
  type ServerMessage,
} from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { Admission } from '../load/admission.js';
import { AuthError, type Authenticator } from '../base/auth.js';
import type { GatewayConfig } from '../base/config.js';
import type { HistoryWriter } from '../streams/history-writer.js';
import type { StallWatch } from '../base/stall-watch.js';
import { ChatHandler } from './chat-handler.js';
import type { MessageIds } from '../base/message-ids.js';
import type { AutoMod } from '../moderation/rules/automod.js';
import { performModAction } from '../moderation/commands.js';
import type { Holds } from '../moderation/holds.js';
import type { ModerationService } from '../moderation/service.js';
import { publicSettings } from '../moderation/rules/settings.js';
import type { BanList } from '../moderation/rules/stream-moderation.js';
import type { OwnMessages } from '../streams/own-messages.js';
import type { GatewayMetrics } from '../base/metrics.js';
import type { RecentEntry } from '../streams/recent-chat.js';
import type { Fanout } from '../streams/fanout.js';
import type { SlowClients } from '../load/slow-clients.js';
import type { Session, Socket } from '../transport/socket.js';
import type { StreamRegistry } from '../streams/stream-registry.js';
import { RateLimiter, TokenBucket } from '../base/token-bucket.js';
import type { Tracing } from '../base/tracing.js';

/** Malformed frames tolerated before the connection is closed as a broken client. */
export const MAX_BAD_FRAMES = 10;
/** Frames dropped in a row, for exceeding the frame rate, before the connection is closed. */
export const MAX_FLOOD_DROPS = 100;
/**
 * Frames above `maxPayloadBytes` get a `frame_too_large` error; frames above this many times that
 * are cut by the transport, which drops the connection (clients see 1006).
 */
export const MAX_PAYLOAD_CUT_FACTOR = 4;
/** Frames a client may send before its welcome (while its token is verified). */
export const MAX_BACKLOG_FRAMES = 16;

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
  automod: AutoMod | undefined;
  /** Event-loop stalls, for the chat rate limit (see `ChatHandlerOptions.stalls`). */
  stalls?: StallWatch;
  /** Traces chat; undefined when tracing is off (see tracing.ts). */
  tracing?: Tracing | undefined;
}

/**
 * The protocol, per connection: what each client message does and what the client is told.
 * Every request is answered by exactly one reply carrying its `ref` (ack, joined, left, pong or
 * error); requests without a `ref` get a reply only when they fail.
 */
export class ConnectionHandler {
  readonly #o: ConnectionHandlerOptions;
  readonly chat: ChatHandler;
  readonly reactionLimiter: RateLimiter;
  readonly #open = new Set<Socket>();
  /** Degradation level 4: only moderators, broadcasters and admins may chat. */
  #readOnly = false;
  /** The current degradation status, told to every connection at its welcome. */
  #status: ServerMessage | undefined;

  constructor(options: ConnectionHandlerOptions) {
    this.#o = options;
    this.chat = new ChatHandler({
      ...options,
      send: (ws, message) => this.#send(ws, message),
      reject: (ws, error, ref, stream) => this.#reject(ws, error, ref, stream),
      readOnly: () => this.#readOnly,
    });
    this.reactionLimiter = new RateLimiter(
      options.config.reactionRatePerS,
      options.config.reactionBurst,
    );
  }

  get openSockets(): ReadonlySet<Socket> {
    return this.#open;
  }

  /**
   * The degradation level changed: from level 4 only moderators, broadcasters and admins may
   * chat; above 0 the status is told to every joiner; every connection is told now.
   */
  setLevel(status: StatusMessage): void {
    this.#readOnly = status.level >= 4;
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
    const token = s.token;
    if (token === undefined) {
      this.#o.metrics.connectionsTotal.inc({ result: 'accepted' });
      return this.#welcome(ws, s);
    }
    s.token = undefined;
    this.#o.auth.verify(token).then(
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
    const code =
      error.code === ErrorCode.TokenExpired ? CloseCode.TokenExpired : CloseCode.Unauthorized;
    ws.cork(() => {
      this.#send(ws, { type: 'error', code: error.code, message: error.message });
      this.#end(ws, code, error.code);
    });
  }

  #welcome(ws: Socket, s: Session): void {
    const { identity } = s;
    s.ready = true;
    const backlog = s.backlog;
    s.backlog = undefined;
    ws.cork(() => {
      this.#send(ws, {
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
      if (this.#status) this.#send(ws, this.#status);
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
    const now = this.#o.now();
    for (const stream of s.streams) {
      const state = this.#o.registry.get(stream);
      if (state) this.#o.registry.release(state, now);
      this.#o.metrics.leaves.inc();
    }
    s.streams = [];
  }

  message(ws: Socket, data: ArrayBuffer): void {
    const s = ws.getUserData();
    if (!s.open) return;
    if (!s.ready) {
      // The token is still being checked; keep a few frames (copied: uWS reuses the buffer).
      s.backlog ??= [];
      if (s.backlog.length >= MAX_BACKLOG_FRAMES) return this.#end(ws, CloseCode.Flood, 'flood');
      s.backlog.push(new Uint8Array(data.slice(0)));
      return;
    }
    this.#frame(ws, s, data);
  }

  #frame(ws: Socket, s: Session, data: ArrayBuffer | Uint8Array): void {
    const now = this.#o.now();
    this.#o.metrics.framesIn.inc();
    s.frames ??= new TokenBucket(this.#o.config.frameRatePerS, this.#o.config.frameBurst, now);
    if (!s.frames.take(now)) {
      s.floodDrops++;
      if (s.floodDrops > MAX_FLOOD_DROPS) return this.#end(ws, CloseCode.Flood, 'flood');
      // One error per burst of drops, not one per dropped frame: answering a flood is a flood.
      if (s.floodDrops === 1) {
        this.#reject(
          ws,
          new ProtocolError(ErrorCode.Flood, 'too many frames; slow down', {
            retryAfterMs: s.frames.retryAfterMs(now),
          }),
        );
      }
      return;
    }
    s.floodDrops = 0;

    if (data.byteLength > this.#o.config.maxPayloadBytes) {
      s.badFrames++;
      this.#reject(
        ws,
        new ProtocolError(
          ErrorCode.FrameTooLarge,
          `frames are limited to ${this.#o.config.maxPayloadBytes} bytes`,
        ),
      );
      if (s.badFrames > MAX_BAD_FRAMES)
        this.#end(ws, CloseCode.ProtocolViolation, 'too many malformed frames');
      return;
    }
    let request;
    try {
      request = s.codec.decodeClient(data);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      s.badFrames++;
      this.#reject(ws, error);
      if (s.badFrames > MAX_BAD_FRAMES)
        this.#end(ws, CloseCode.ProtocolViolation, 'too many malformed frames');
      return;
    }
    try {
      switch (request.type) {
        case 'join':
          return this.#join(ws, s, request);
        case 'leave':
          return this.#leave(ws, s, request, now);
        case 'chat':
          return this.chat.handle(ws, s, request);
        case 'mod':
          return this.#mod(ws, s, request);
        case 'react':
          return this.#react(ws, s, request, now);
        case 'ping':
          return this.#send(ws, {
            type: 'pong',
            ...(request.ref !== undefined ? { ref: request.ref } : {}),
            ts: now,
          });
      }
    } catch (error) {
      if (!(error instanceof RoarError)) throw error;
      this.#reject(ws, error, request.ref, 'stream' in request ? request.stream : undefined);
    }
  }

  #join(ws: Socket, s: Session, req: JoinRequest): void {
    const { stream } = req;
    if (s.streams.includes(stream))
      throw new RoarError(ErrorCode.AlreadyJoined, `already joined ${stream}`);
    if (s.streams.length >= this.#o.config.maxStreamsPerConnection) {
      throw new RoarError(
        ErrorCode.TooManyStreams,
        `at most ${this.#o.config.maxStreamsPerConnection} streams per connection`,
      );
    }
    s.streams.push(stream);
    const state = this.#o.registry.acquire(stream, s.identity.key);
    this.#o.metrics.joins.inc();
    void state.ready.then(() => {
      // The viewer may have gone, or left the stream, while history loaded.
      if (!s.open || !s.streams.includes(stream)) return;
      let history: RecentEntry[];
      let resumed = false;
      let gap = false;
      if (req.since !== undefined) {
        const missed = state.recent.resume(req.since);
        resumed = missed.entries !== undefined;
        gap = missed.gap;
        history = missed.entries ?? state.recent.last(this.#o.config.historyOnJoin);
      } else {
        history = state.recent.last(this.#o.config.historyOnJoin);
      }
      const frame = s.codec.encodeJoined(
        {
          type: 'joined',
          ...(req.ref !== undefined ? { ref: req.ref } : {}),
          stream,
          viewers: state.viewerCount(),
          resumed,
          gap,
          reactions: state.mod.settings.reactions,
          settings: publicSettings(state.mod.settings),
          pinned: state.mod.pinned?.event ?? null,
        },
        history.map((e) => e.event),
      );
      // History, then the subscription: every later event comes in a batch, none twice.
      ws.cork(() => ws.send(frame, s.codec.binary));
      this.#o.fanout.subscribe(ws, state);
      this.#o.metrics.framesOut.inc();
    });
  }

  #leave(ws: Socket, s: Session, req: LeaveRequest, now: number): void {
    const i = s.streams.indexOf(req.stream);
    if (i < 0) throw new RoarError(ErrorCode.NotJoined, `not joined to ${req.stream}`);
    s.streams.splice(i, 1);
    this.#o.fanout.unsubscribe(ws, req.stream);
    const state = this.#o.registry.get(req.stream);
    if (state) this.#o.registry.release(state, now);
    this.#o.metrics.leaves.inc();
    this.#send(ws, {
      type: 'left',
      ...(req.ref !== undefined ? { ref: req.ref } : {}),
      stream: req.stream,
    });
  }

  #react(ws: Socket, s: Session, req: ReactRequest, now: number): void {
    const { config, metrics } = this.#o;
    try {
      if (!s.streams.includes(req.stream))
        throw new RoarError(ErrorCode.NotJoined, `join ${req.stream} before reacting`);
      if (s.identity.anonymous && !config.anonymousReactions) {
        throw new RoarError(ErrorCode.Unauthenticated, 'sign in to react');
      }
      const settings = this.#o.registry.get(req.stream)?.mod.settings;
      if (settings && !settings.reactionsEnabled) {
        throw new RoarError(ErrorCode.ReactionsDisabled, 'reactions are off for this stream');
      }
      if (!(settings?.reactions ?? config.reactions).includes(req.emoji)) {
        throw new RoarError(
          ErrorCode.ReactionNotAllowed,
          `${req.emoji} is not a reaction of this stream`,
        );
      }
      const wait = this.reactionLimiter.take(s.identity.key, now);
      if (wait > 0)
        throw new RoarError(ErrorCode.RateLimited, 'reacting too fast', { retryAfterMs: wait });
      this.#o.registry.get(req.stream)?.countReaction(req.emoji);
      metrics.reactions.inc({ result: 'accepted', reason: '' });
      if (req.ref !== undefined) this.#send(ws, { type: 'ack', ref: req.ref });
    } catch (error) {
      if (error instanceof RoarError)
        metrics.reactions.inc({ result: 'rejected', reason: error.code });
      throw error;
    }
  }

  /** A moderator's command over WebSocket: the same actions, rights and audit as the admin API. */
  #mod(ws: Socket, s: Session, req: ModRequest): void {
    performModAction(this.#o.moderation, s.identity, req).then(
      () => {
        if (s.open && req.ref !== undefined) this.#send(ws, { type: 'ack', ref: req.ref });
      },
      (error: unknown) => {
        if (!s.open) return;
        if (error instanceof RoarError) return this.#reject(ws, error, req.ref, req.stream);
        this.#o.log.error('moderation command failed', { stream: req.stream, error });
        this.#reject(
          ws,
          new RoarError(ErrorCode.Internal, 'the action failed; try again'),
          req.ref,
          req.stream,
        );
      },
    );
  }

  #reject(ws: Socket, error: RoarError, ref = error.ref, stream?: string): void {
    this.#o.metrics.rejectedFrames.inc({ code: error.code });
    const message: ErrorMessage = { type: 'error', code: error.code, message: error.message };
    if (ref !== undefined) message.ref = ref;
    if (stream !== undefined) message.stream = stream;
    if (error.retryAfterMs !== undefined) message.retryAfterMs = error.retryAfterMs;
    this.#send(ws, message);
  }

  #send(ws: Socket, message: ServerMessage): void {
    const codec = ws.getUserData().codec;
    ws.send(codec.encodeServer(message), codec.binary);
    this.#o.metrics.framesOut.inc();
  }

  #end(ws: Socket, code: number, reason: string): void {
    this.#o.metrics.closes.inc({ code: String(code) });
    ws.end(code, reason);
  }

  /**
   * Sends one message to every connection, encoded once per codec. For rare news (the
   * degradation level): a topic for it would cost every connection a subscription. Like fanout,
   * it writes a slice of sockets per event-loop turn, never all 19k at once.
   */
  broadcast(message: ServerMessage): void {
    const frames = new Map<Codec, Uint8Array | string>();
    const sockets = [...this.#open];
    const slice = this.#o.config.fanoutSliceSockets;
    const sendFrom = (from: number): void => {
      const to = Math.min(sockets.length, from + slice);
      let sent = 0;
      for (let i = from; i < to; i++) {
        const ws = sockets[i] as Socket;
        const s = ws.getUserData();
        if (s.closed || !s.open || !s.ready) continue;
        let frame = frames.get(s.codec);
        if (frame === undefined) frames.set(s.codec, (frame = s.codec.encodeServer(message)));
        ws.send(frame, s.codec.binary);
        sent++;
      }
      this.#o.metrics.framesOut.inc(sent);
      if (to < sockets.length) setImmediate(() => sendFrom(to));
    };
    sendFrom(0);
  }

  /** Closes every connection with `code`, for shutdown. */
  endAll(code: number, reason: string): void {
    for (const ws of [...this.#open]) this.#end(ws, code, reason);
  }

  /**
   * Closes every connection with 4000 (reconnect), spread evenly over `windowMs` in random
   * order, so a deploy does not send the whole audience to the other gateways in one instant.
   * Each connection is told a small extra delay to spread its slice too.
   */
  async drain(windowMs: number): Promise<void> {
    const sockets = [...this.#open];
    for (let i = sockets.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [sockets[i], sockets[j]] = [sockets[j] as Socket, sockets[i] as Socket];
    }
    const slices = Math.max(1, Math.floor(windowMs / DRAIN_STEP_MS));
    const perSlice = Math.ceil(sockets.length / slices);
    for (let i = 0; i < sockets.length; i += perSlice) {
      for (const ws of sockets.slice(i, i + perSlice)) {
        if (!ws.getUserData().open) continue;
        ws.cork(() => {
          this.#send(ws, {
            type: 'reconnect',
            delayMs: Math.floor(Math.random() * DRAIN_STEP_MS),
            reason: 'draining',
          });
          this.#end(ws, CloseCode.ServerRestart, 'server restarting');
        });
      }
      if (i + perSlice < sockets.length) await new Promise((r) => setTimeout(r, DRAIN_STEP_MS));
    }
  }
}

const DRAIN_STEP_MS = 100;
