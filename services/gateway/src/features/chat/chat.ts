import type { BusHeaders } from '@roar/bus';
import {
  EncodedEvent,
  ErrorCode,
  RoarError,
  type ChatEvent,
  type ChatRequest,
} from '@roar/protocol';
import { badgesFor } from '../../base/identity.js';
import { ACCEPT } from '../../base/metrics.js';
import { checkChat, isPrivileged, type ChatPass } from '../../moderation/rules/chat-policy.js';
import type { StreamState } from '../../streams/stream-state.js';
import type { Session, Socket } from '../../transport/socket.js';
import { RateLimiter } from '../../base/token-bucket.js';
import type { Stall } from '../../base/stall-watch.js';
import type { StreamFeature } from '../feature.js';
import type { ChatAck, ChatOptions } from './chat-options.js';

export type { ChatAck, ChatOptions } from './chat-options.js';

/**
 * A chat message from arrival to publication: the connection checks, the rate limit, the stream's
 * rules (bans, modes, slow mode, then the text checks), the optional before-publish check, then
 * one publish on the bus (or the held queue). It returns (or, when something had to be awaited,
 * resolves with) the ack to send, undefined when the request has no `ref` or its sender left, or
 * throws (rejects with) the `RoarError` to answer; the connection handler sends either. Every
 * outcome is counted and timed here.
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
  /**
   * Each held stream's chat subject, built once when the gateway starts holding it (a string built
   * per message is hashed again). Built in `open`, not on a stream's first message: a branch first
   * taken after V8 optimized `#publish` throws it back to the baseline tier for thousands of calls.
   */
  readonly #subjects = new Map<string, string>();

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

  open(state: StreamState): void {
    this.#subjects.set(state.id, this.#o.subjects.stream(state.id, 'chat'));
  }

  forget(stream: string): void {
    this.#subjects.delete(stream);
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
   * Takes a message: returns its ack (undefined when the request has no `ref` or its sender
   * left), or throws why it was refused. Most messages need nothing awaited (the stream's rules
   * are loaded, no before-publish check to ask, no delay to hold them for) and are answered
   * within the frame's own call, with no promise or microtask; the others resolve or reject
   * later. Either way the outcome is timed and counted here, once.
   */
  handle(
    req: ChatRequest,
    ws: Socket,
    s: Session,
  ): ChatAck | undefined | Promise<ChatAck | undefined> {
    const started = performance.now();
    try {
      const a = this.#admit(req, s);
      if (!a.state.loaded || (this.#o.automod !== undefined && !a.privileged))
        return this.#checkLater(req, ws, s, a, started);
      const c = this.#check(req, s, a, this.#o.now());
      if (c.pass.holdS > 0) return this.#hold(req, s, a.state, c, undefined, started);
      return this.#publish(req, ws, s, a.state, c, started);
    } catch (error) {
      throw this.#refused(error, req, started);
    }
  }

  /** The checks that need no rules: the connection, the degradation level, the rate limit. */
  #admit(req: ChatRequest, s: Session): Admitted {
    const { config, registry } = this.#o;
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
    return { state, privileged, stall };
  }

  /** The stream's rules, once they are loaded, then the message as it would be published. */
  #check(req: ChatRequest, s: Session, a: Admitted, now: number): Checked {
    const { identity } = s;
    const pass = checkChat({
      identity,
      stream: req.stream,
      text: req.text,
      now,
      mod: a.state.mod,
      globalBans: this.#o.globalBans,
      privileged: a.privileged,
      charge: (tokens) => this.limiter.charge(identity.key, tokens, now),
    });
    if (!this.#o.bus.connected)
      throw new RoarError(ErrorCode.Unavailable, 'chat is briefly unavailable; try again');
    const badges = badgesFor(identity, req.stream);
    const user: ChatEvent['user'] = { id: identity.userId ?? identity.key, name: identity.name };
    if (badges) user.roles = badges;
    const event: ChatEvent = {
      type: 'chat',
      id: this.#o.ids.next(now),
      // Read in a stall's backlog, it was sent during the stall: timed (and sampled) as such.
      ts: a.stall === undefined ? now : this.limiter.sentAt(identity.key, a.stall, now),
      user,
      text: pass.text,
    };
    return { event, pass, now };
  }

  /** What waits: the stream's first loads, then the before-publish check (a hook's answer). */
  async #checkLater(
    req: ChatRequest,
    ws: Socket,
    s: Session,
    a: Admitted,
    started: number,
  ): Promise<ChatAck | undefined> {
    let c: Checked;
    let held: string | undefined;
    try {
      // The stream's rules and bans load with its history, once; a message cannot outrun them.
      await a.state.ready;
      if (!s.open) return undefined;
      c = this.#check(req, s, a, this.#o.now());
      if (this.#o.automod && !a.privileged) {
        const { verdict, reason, text } = await this.#o.automod.check({
          stream: req.stream,
          userId: c.event.user.id,
          name: s.identity.name,
          text: c.pass.text,
        });
        if (verdict === 'deny')
          throw new RoarError(ErrorCode.Denied, 'this message was not accepted');
        if (verdict === 'hold') held = reason || 'automod';
        if (text !== undefined) c.event.text = text;
      }
      if (held === undefined && c.pass.holdS === 0)
        return s.open ? this.#publish(req, ws, s, a.state, c, started) : undefined;
    } catch (error) {
      throw this.#refused(error, req, started);
    }
    return this.#hold(req, s, a.state, c, held, started);
  }

  /** Remembered for the rules, and counted for the report: every message that passed. */
  #passed(s: Session, state: StreamState, c: Checked): void {
    state.mod.remember(s.identity.key, c.pass.text, c.now, c.pass.key);
    state.countChat();
  }

  /**
   * Publishes a message that passed: one publish on the bus, one history entry, one log append,
   * all of the same bytes, packed once. A position is taken here, with nothing awaited after it:
   * positions go out in order, and a held message (published later, or never) takes none.
   */
  #publish(
    req: ChatRequest,
    ws: Socket,
    s: Session,
    state: StreamState,
    c: Checked,
    started: number,
  ): ChatAck | undefined {
    const { event, now } = c;
    this.#passed(s, state, c);
    event.origin = state.origin;
    event.seq = state.nextSeq();
    const encoded = EncodedEvent.of(event);
    const bytes = encoded.msgpack;
    // With tracing off `headers` stays undefined: nothing is allocated for it.
    const headers = this.#o.tracing?.chatAccepted(
      req.stream,
      event.id,
      performance.timeOrigin + started,
    );
    // Built in `open` for every stream the registry holds; built here only without a registry.
    const subject = this.#subjects.get(req.stream) ?? this.#o.subjects.stream(req.stream, 'chat');
    this.#o.bus.publish(subject, bytes, headers);
    this.#o.history.add(req.stream, { id: event.id, bytes });
    this.#o.chatLog?.published(req.stream, event);
    // Kept with its decoded form: when these bytes come back from the bus they are not decoded.
    this.#o.own.add(event.id, ws, now, encoded);
    this.#o.metrics.chatAccepted();
    this.#o.metrics.chatAccept.observe(since(started), ACCEPT.accepted);
    if (req.ref === undefined) return undefined;
    return { type: 'ack', ref: req.ref, id: event.id, ts: event.ts };
  }

  /** A message that waits (a moderator's hold, the automod's, or the stream's delay). */
  async #hold(
    req: ChatRequest,
    s: Session,
    state: StreamState,
    c: Checked,
    held: string | undefined,
    started: number,
  ): Promise<ChatAck | undefined> {
    try {
      const { event, now } = c;
      this.#passed(s, state, c);
      const message = {
        id: event.id,
        bytes: EncodedEvent.of(event).msgpack,
        stream: req.stream,
        at: now,
        reason: held ?? 'delay',
      };
      await this.#o.holds.hold(message, held === undefined ? c.pass.holdS * 1000 : undefined);
      this.#o.metrics.chat.inc({ result: 'held', reason: message.reason });
      this.#o.metrics.chatAccept.observe(since(started), ACCEPT.held);
      if (req.ref === undefined || !s.open) return undefined;
      return { type: 'ack', ref: req.ref, id: event.id, ts: event.ts, held: true };
    } catch (error) {
      throw this.#refused(error, req, started);
    }
  }
}

/** What `#admit` found: the stream, whether the sender is privileged there, a stall's start. */
interface Admitted {
  state: StreamState;
  privileged: boolean;
  stall: Stall | undefined;
}

/** A message that passed the rules at `now`, as it would be published. */
interface Checked {
  event: ChatEvent;
  pass: ChatPass;
  now: number;
}

function since(startedMs: number): number {
  return (performance.now() - startedMs) / 1000;
}
