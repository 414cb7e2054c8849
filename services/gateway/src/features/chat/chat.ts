import type { Bus, BusHeaders, Subjects } from '@roar/bus';
import {
  EncodedEvent,
  ErrorCode,
  RoarError,
  type ChatEvent,
  type ChatRequest,
  type ServerMessage,
} from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { GatewayConfig } from '../../base/config.js';
import type { HistoryWriter } from '../../streams/history-writer.js';
import { badgesFor } from '../../base/identity.js';
import type { MessageIds } from '../../base/message-ids.js';
import { ACCEPT, type GatewayMetrics } from '../../base/metrics.js';
import type { PublishCheck } from '../../hooks/index.js';
import { checkChat, isPrivileged } from '../../moderation/rules/chat-policy.js';
import type { Holds } from '../../moderation/holds.js';
import type { BanList } from '../../moderation/rules/stream-moderation.js';
import type { OwnMessages } from '../../streams/own-messages.js';
import type { StreamState } from '../../streams/stream-state.js';
import type { Session, Socket } from '../../transport/socket.js';
import type { StallWatch } from '../../base/stall-watch.js';
import type { StreamRegistry } from '../../streams/stream-registry.js';
import { RateLimiter } from '../../base/token-bucket.js';
import type { Tracing } from '../../base/tracing.js';
import type { StreamFeature } from '../feature.js';

export interface ChatOptions {
  config: Pick<GatewayConfig, 'chatRatePerS' | 'chatBurst' | 'anonymousChat'>;
  registry: StreamRegistry;
  history: HistoryWriter;
  bus: Bus;
  subjects: Subjects;
  metrics: GatewayMetrics;
  ids: MessageIds;
  own: OwnMessages;
  holds: Holds;
  globalBans: BanList;
  /** The before-publish check: the publish hook, or the built-in rules (hooks/). */
  automod: PublishCheck | undefined;
  log: Logger;
  now: () => number;
  /** Event-loop stalls: the burst of chat queued during one is forgiven by the rate limit. */
  stalls?: StallWatch;
  /** Traces accepted messages; undefined when tracing is off. */
  tracing?: Tracing | undefined;
  /** The durable event log (replay/ `StreamLog`); undefined when it is off. */
  chatLog?: { published(stream: string, event: ChatEvent): void } | undefined;
}

/** What an accepted message is answered with (`held: true` when it waits). */
export type ChatAck = Extract<ServerMessage, { type: 'ack' }>;

/**
 * A chat message from arrival to publication: the connection checks, the rate limit, the stream's
 * rules (bans, modes, slow mode, then the text checks), the optional before-publish check, then
 * one publish on the bus (or the held queue). It resolves with the ack to send (undefined when
 * the request has no `ref` or its sender left) or rejects with the `RoarError` to answer; the
 * connection handler sends either. Every outcome is counted and timed here.
 *
 * On the bus it owns `<prefix>.s.<stream>.chat`: each message is queued for the stream's next
 * frame (fanout keeps recent chat and samples it).
 */
export class Chat implements StreamFeature<'chat'> {
  readonly name = 'chat';
  readonly requests = ['chat'] as const;
  readonly subjects = ['chat'] as const;
  readonly limiter: RateLimiter;
  readonly #o: ChatOptions;
  /** Degradation level 4: only privileged users may chat. */
  #readOnly = false;

  constructor(options: ChatOptions) {
    this.#o = options;
    this.limiter = new RateLimiter(options.config.chatRatePerS, options.config.chatBurst);
  }

  /** From degradation level 4 only moderators, broadcasters and admins may chat. */
  setLevel(level: number): void {
    this.#readOnly = level >= 4;
  }

  sweep(now: number): void {
    this.limiter.sweep(now);
  }

  receive(state: StreamState, encoded: EncodedEvent, headers: BusHeaders | undefined): boolean {
    if (encoded.event.type !== 'chat') return false;
    // Only traced messages carry headers: untraced chat does not reach the tracer.
    if (headers !== undefined) this.#o.tracing?.chatReceived(encoded, state.id, headers);
    state.enqueue(encoded);
    return true;
  }

  /** A message was refused: counted; returns the error to answer with. */
  #refused(error: unknown, req: ChatRequest, started: number): RoarError {
    if (!(error instanceof RoarError)) {
      this.#o.log.error('chat failed', { stream: req.stream, error });
      error = new RoarError(ErrorCode.Internal, 'chat failed; try again');
    }
    const e = error as RoarError;
    this.#o.metrics.chat.inc({ result: 'rejected', reason: e.code });
    this.#o.metrics.chatAccept.observe(since(started), ACCEPT.rejected);
    return e;
  }

  /**
   * Takes a message: resolves with its ack, or undefined when the request has no `ref` or its
   * sender left meanwhile; rejects with why it was refused. One async call per message: the
   * outcome is timed and counted inside it, so the seam adds no promise to chat's path.
   */
  async handle(req: ChatRequest, ws: Socket, s: Session): Promise<ChatAck | undefined> {
    const started = performance.now();
    try {
      const { config, metrics, registry } = this.#o;
      const { identity } = s;
      if (!s.streams.includes(req.stream))
        throw new RoarError(ErrorCode.NotJoined, `join ${req.stream} before chatting`);
      if (identity.anonymous && !config.anonymousChat)
        throw new RoarError(ErrorCode.Unauthenticated, 'sign in to chat');
      const privileged = isPrivileged(identity, req.stream);
      if (this.#readOnly && !privileged) {
        throw new RoarError(
          ErrorCode.ReadOnly,
          'chat is read-only for a moment: the stream is very busy',
        );
      }
      const state = registry.get(req.stream);
      if (!state) throw new RoarError(ErrorCode.NotJoined, `join ${req.stream} before chatting`);
      // The rate limit comes before any check that reads the text: a message refused as
      // rate_limited costs a map lookup, so a flood of them cannot buy the checks' CPU.
      const arrived = this.#o.now();
      const stall = this.#o.stalls?.current(arrived);
      const wait = this.limiter.take(identity.key, arrived, stall);
      if (wait > 0)
        throw new RoarError(ErrorCode.RateLimited, 'sending too fast', { retryAfterMs: wait });
      // The stream's rules and bans load with its history, once; a message cannot outrun them.
      await state.ready;
      if (!s.open) return undefined;
      const now = this.#o.now();
      const pass = checkChat({
        identity,
        stream: req.stream,
        text: req.text,
        now,
        mod: state.mod,
        globalBans: this.#o.globalBans,
        charge: (tokens) => this.limiter.charge(identity.key, tokens, now),
      });
      if (!this.#o.bus.connected)
        throw new RoarError(ErrorCode.Unavailable, 'chat is briefly unavailable; try again');

      const badges = badgesFor(identity, req.stream);
      const event: ChatEvent = {
        type: 'chat',
        id: this.#o.ids.next(now),
        // Read in a stall's backlog, it was sent during the stall: timed (and sampled) as such.
        ts: stall === undefined ? now : this.limiter.sentAt(identity.key, stall, now),
        user: {
          id: identity.userId ?? identity.key,
          name: identity.name,
          ...(badges ? { roles: badges } : {}),
        },
        text: pass.text,
      };
      let held: string | undefined;
      if (this.#o.automod && !privileged) {
        const { verdict, reason, text } = await this.#o.automod.check({
          stream: req.stream,
          userId: event.user.id,
          name: identity.name,
          text: pass.text,
        });
        if (verdict === 'deny')
          throw new RoarError(ErrorCode.Denied, 'this message was not accepted');
        if (verdict === 'hold') held = reason || 'automod';
        if (text !== undefined) event.text = text;
      }
      state.mod.remember(identity.key, pass.text, now);
      state.countChat();
      const isHeld = held !== undefined || pass.holdS > 0;
      // A position is taken at publication, with nothing awaited after it: positions go out in
      // order, and a held message (published later, or never) takes none, leaving no hole.
      if (!isHeld) {
        event.origin = state.origin;
        event.seq = state.nextSeq();
      }
      const bytes = EncodedEvent.of(event).msgpack;
      if (isHeld) {
        const message = {
          id: event.id,
          bytes,
          stream: req.stream,
          at: now,
          reason: held ?? 'delay',
        };
        await this.#o.holds.hold(message, held === undefined ? pass.holdS * 1000 : undefined);
        metrics.chat.inc({ result: 'held', reason: message.reason });
      } else {
        // With tracing off `headers` stays undefined: nothing is allocated for it.
        const headers = this.#o.tracing?.chatAccepted(
          req.stream,
          event.id,
          performance.timeOrigin + started,
        );
        this.#o.bus.publish(this.#o.subjects.stream(req.stream, 'chat'), bytes, headers);
        this.#o.history.add(req.stream, { id: event.id, bytes });
        this.#o.chatLog?.published(req.stream, event);
        this.#o.own.add(event.id, ws, now);
        metrics.chat.inc({ result: 'accepted', reason: '' });
      }
      metrics.chatAccept.observe(since(started), ACCEPT[isHeld ? 'held' : 'accepted']);
      if (req.ref !== undefined && s.open)
        return {
          type: 'ack',
          ref: req.ref,
          id: event.id,
          ts: now,
          ...(isHeld ? { held: true } : {}),
        };
      return undefined;
    } catch (error) {
      throw this.#refused(error, req, started);
    }
  }
}

function since(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}
