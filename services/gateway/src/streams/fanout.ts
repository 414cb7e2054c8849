import { EncodedEvent, type ChatEvent, type Codec } from '@roar/protocol';
import { ChatSampler } from './chat-sampler.js';
import { CODECS, Frames, TIERS, isPriorityChat } from './fanout-frames.js';
import type { GatewayMetrics } from '../base/metrics.js';
import type { OwnMessages } from './own-messages.js';
import { topicOf, type Publisher, type Socket } from '../transport/socket.js';
import type { StreamState } from './stream-state.js';
import { WriteQueue } from './write-queue.js';
import type { Tracing } from '../base/tracing.js';

export interface FanoutOptions {
  publisher: Publisher;
  metrics: GatewayMetrics;
  own: OwnMessages;
  /** The state of a stream this gateway holds, by id. */
  stream: (id: string) => StreamState | undefined;
  countIntervalMs: number;
  chatBudgetPerS: number;
  stormTickMs: number;
  /** Sockets per slice of a stream, and written per loop turn at most (`ROAR_FANOUT_SLICE`). */
  sliceSockets: number;
  random?: () => number;
  /** Wall-clock ms, compared with events' `ts` for the delivery lag. Default `Date.now`. */
  clock?: () => number;
  /** Closes chat delivery spans when their batch is written; undefined when tracing is off. */
  tracing?: Tracing | undefined;
}

/** The spacing and budget of what fanout sends, set by load control (see `applyPolicy`). */
export interface FanoutPolicy {
  countIntervalMs: number;
  reactionIntervalMs: number;
  /** Features' latest-value events (poll results, Q&A boards, live-state keys): least spacing. */
  featureIntervalMs: number;
  chatBudgetPerS: number;
}

/**
 * Per-tick fanout: the events a stream gathered during one tick go out as one frame, encoded
 * once per codec and written to every subscribed socket by one topic publish. Writes per viewer
 * per second, not messages, are what a gateway pays for, so this is where they are bounded:
 * chat is sampled to a per-viewer budget, counts and reaction bursts are latest-value and sent at
 * most once per interval, and slow connections get a priority-only frame instead.
 */
export class Fanout {
  readonly #dirty = new Set<StreamState>();
  readonly #o: FanoutOptions & { clock: () => number };
  readonly #queue: WriteQueue;
  /** Joins waiting in the queue, by session and stream: a leave or a rejoin cancels one. */
  readonly #waiting = new Map<string, object>();
  /**
   * How often latest-value events go out at most, per slot key: one viewer-count push per stream
   * per `viewers` ms (raised under pressure); reaction bursts are merged and sent at most once per
   * `reactions` ms (0 sends them as they come). Other keys (features') go with every frame, or
   * at most once per `'*'` ms when load control sheds their freshness.
   */
  #spacing: { viewers: number; reactions: number; '*': number };
  /** Chat messages per second a viewer of one stream receives at most (priority chat aside). */
  #chatBudgetPerS: number;
  /** While a stream's chat is sampled, its frames go out at most this often. */
  readonly #stormTickMs: number;

  constructor(options: FanoutOptions) {
    this.#o = { ...options, clock: options.clock ?? Date.now };
    this.#queue = new WriteQueue(options.sliceSockets);
    this.#spacing = { viewers: options.countIntervalMs, reactions: 0, '*': 0 };
    this.#chatBudgetPerS = options.chatBudgetPerS;
    this.#stormTickMs = options.stormTickMs;
  }

  /** What load control sheds at a degradation level: counter freshness, reaction detail, chat. */
  applyPolicy(policy: FanoutPolicy): void {
    this.#spacing = {
      viewers: policy.countIntervalMs,
      reactions: policy.reactionIntervalMs,
      '*': policy.featureIntervalMs,
    };
    this.#chatBudgetPerS = policy.chatBudgetPerS;
  }

  markDirty(state: StreamState): void {
    this.#dirty.add(state);
  }

  forget(state: StreamState): void {
    this.#dirty.delete(state);
  }

  flush(now: number): void {
    for (const state of this.#dirty) {
      // A stream in a chat storm goes out in fewer, fuller frames: a reader cannot tell 50 ms
      // from 200 ms, and frames, not messages, are what a viewer costs. Priority news does not wait.
      if (
        state.delivery.sampler !== undefined &&
        state.delivery.sampler.ratio < 1 &&
        now - state.delivery.lastFlushAt < this.#stormTickMs &&
        !state.pending.some((e) => e.event.type !== 'chat' || isPriorityChat(e.event))
      ) {
        continue;
      }
      const events = state.takeBatch(now, this.#spacing);
      if (!state.waiting) this.#dirty.delete(state);
      if (events.length > 0) this.#deliver(state, events, now);
    }
    this.#queue.start();
  }

  /** Writes everything queued now (shutdown). */
  drainAll(): void {
    this.#queue.drainAll();
  }

  /**
   * Subscribes a socket that just joined: to the first slice of the stream with room, at once,
   * or, while writes of earlier batches of this stream are queued, after them (the joiner's
   * history already holds their chat, so it must not get those batches too).
   */
  subscribe(ws: Socket, state: StreamState): void {
    const s = ws.getUserData();
    // The slice is taken now, even when the subscription waits: batches delivered meanwhile
    // queue a write for every slice the stream has, this one included.
    const slice = this.#pickSlice(state);
    const join = (): void => {
      ws.subscribe(topicOf(s.codec, state.id, s.slowSince !== undefined, slice));
    };
    if (state.delivery.queued === 0) return join();
    const key = `${s.id} ${state.id}`;
    const ticket = {};
    this.#waiting.set(key, ticket);
    this.#queue.push(state, () => {
      if (this.#waiting.get(key) !== ticket) return 0;
      this.#waiting.delete(key);
      if (s.open && !s.closed && s.streams.includes(state.id)) join();
      return 0;
    });
  }

  /** Unsubscribes a socket from every slice and tier of a stream it leaves. */
  unsubscribe(ws: Socket, stream: string): void {
    const s = ws.getUserData();
    this.#waiting.delete(`${s.id} ${stream}`);
    const slices = this.#o.stream(stream)?.slices ?? 1;
    for (let slice = 0; slice < slices; slice++) {
      ws.unsubscribe(topicOf(s.codec, stream, false, slice));
      ws.unsubscribe(topicOf(s.codec, stream, true, slice));
    }
  }

  /** Moves a socket between the full and the priority tier of a stream, in its slice. */
  moveTier(ws: Socket, stream: string, toPriority: boolean): void {
    const { codec } = ws.getUserData();
    const slices = this.#o.stream(stream)?.slices ?? 1;
    for (let slice = 0; slice < slices; slice++) {
      if (ws.unsubscribe(topicOf(codec, stream, !toPriority, slice))) {
        ws.subscribe(topicOf(codec, stream, toPriority, slice));
        return;
      }
    }
  }

  #pickSlice(state: StreamState): number {
    const d = state.delivery;
    if (d.openSlice < d.slices && this.#hasRoom(state.id, d.openSlice)) {
      return d.openSlice;
    }
    for (let slice = 0; slice < d.slices; slice++) {
      if (this.#hasRoom(state.id, slice)) return (d.openSlice = slice);
    }
    return (d.openSlice = d.slices++);
  }

  #hasRoom(stream: string, slice: number): boolean {
    const { publisher } = this.#o;
    let sockets = 0;
    for (const codec of CODECS) {
      sockets += publisher.subscribers(topicOf(codec, stream, false, slice));
      sockets += publisher.subscribers(topicOf(codec, stream, true, slice));
    }
    return sockets < this.#o.sliceSockets;
  }

  #deliver(state: StreamState, events: EncodedEvent[], now: number): void {
    const d = state.delivery;
    d.lastFlushAt = now;
    const ordinary: EncodedEvent[] = [];
    // When the ordinary chat was sent, by the accepting gateways' clocks, never later than now:
    // a gateway whose clock runs ahead must not stop the budget's refill.
    let sentFrom = now;
    let sentUntil = 0;
    let oldest = Number.POSITIVE_INFINITY;
    let left: Set<EncodedEvent> | undefined;
    for (const e of events) {
      const event = e.event;
      if (event.type !== 'chat') continue;
      if (event.ts < oldest) oldest = event.ts;
      // History holds every message; sampling decides only what is pushed live.
      const missing = state.recent.push({ id: event.id, event: e as EncodedEvent<ChatEvent> });
      // Holes are filled from history by the registry, or reported to viewers as a gap event.
      if (missing > 0)
        state.recovery.noteHole(event.origin as string, event.seq as number, missing, now);
      if (isPriorityChat(event)) continue;
      const sent = Math.min(event.ts, now);
      d.sampler ??= new ChatSampler(this.#chatBudgetPerS, sent);
      // A stalled gateway's queued chat arrives late: judged by its own second of send time.
      if (d.sampler.isLate(sent)) {
        if (!d.sampler.admitLate(sent, now)) (left ??= new Set()).add(e);
        continue;
      }
      ordinary.push(e);
      if (sent > sentUntil) sentUntil = sent;
      if (sent < sentFrom) sentFrom = sent;
    }
    if (ordinary.length > 0 && d.sampler !== undefined) {
      d.sampler.setBudget(this.#chatBudgetPerS);
      // The rate is judged by when messages were sent, so a backlog delivered at once after a
      // stall is not taken for chat outrunning reading.
      const kept = d.sampler.select(ordinary, sentUntil, this.#o.random, sentFrom);
      for (const e of kept) d.sampler.delivered(Math.min((e.event as ChatEvent).ts, now));
      if (kept.length < ordinary.length) {
        const keep = new Set(kept);
        left ??= new Set();
        for (const e of ordinary) if (!keep.has(e)) left.add(e);
      }
    }
    let full = events;
    if (left !== undefined) {
      full = events.filter((e) => !left.has(e));
      this.#o.metrics.sampledOut.inc(left.size);
    }
    const ratio = d.sampler?.ratio ?? 1;
    const head =
      ratio < 1
        ? { type: 'batch' as const, stream: state.id, sampled: round(ratio) }
        : { type: 'batch' as const, stream: state.id };

    this.#o.metrics.batches.inc();
    const frames = new Frames(head, full, events);
    for (let slice = 0; slice < d.slices; slice++) {
      this.#queue.push(state, () => this.#publish(state, slice, frames, full));
    }
    this.#queue.push(state, () => {
      const written = this.#o.own.deliver(state.id, events, left, head);
      if (written > 0) this.#o.metrics.framesOut.inc(written);
      // The batch's last job: every slice is written. Observed once per batch, for its oldest
      // message (accepted at `ts` by whichever gateway took it).
      if (oldest !== Number.POSITIVE_INFINITY)
        this.#o.metrics.deliveryLag.observe(Math.max(0, this.#o.clock() - oldest) / 1000);
      this.#o.tracing?.delivered(events);
      return written;
    });
  }

  /** Writes a batch to one slice of a stream's viewers; returns how many sockets it wrote to. */
  #publish(state: StreamState, slice: number, frames: Frames, full: EncodedEvent[]): number {
    const { publisher, metrics } = this.#o;
    let written = 0;
    let slow = 0;
    for (let c = 0; c < CODECS.length; c++) {
      const codec = CODECS[c] as Codec;
      for (const priorityTier of TIERS) {
        const topic = topicOf(codec, state.id, priorityTier, slice);
        const sockets = publisher.subscribers(topic);
        if (sockets === 0) continue;
        if (priorityTier) slow += sockets;
        const frame = frames.get(c, priorityTier);
        if (frame === undefined) continue;
        publisher.publish(topic, frame, codec.binary);
        metrics.framesOut.inc(sockets);
        written += sockets;
      }
    }
    if (slow > 0) {
      if (full.some((e) => e.event.type === 'chat' && !isPriorityChat(e.event)))
        metrics.skippedFrames.inc({ class: 'chat' }, slow);
      if (full.some((e) => e.event.type === 'reactions'))
        metrics.skippedFrames.inc({ class: 'reactions' }, slow);
    }
    return written;
  }
}

function round(ratio: number): number {
  return Math.round(ratio * 1000) / 1000;
}
