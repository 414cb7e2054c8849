import type { EncodedEvent } from '@roar/protocol';
import { prepareBatch, publishSlice } from './fanout-batch.js';
import { isPriorityChat } from './fanout-frames.js';
import { SliceFrames } from './fanout-join.js';
import { FanoutSlices } from './fanout-slices.js';
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
  /** The tick (`ROAR_TICK_MS`): a stream's viewers get at most one frame per tick. */
  tickMs: number;
  countIntervalMs: number;
  chatBudgetPerS: number;
  stormTickMs: number;
  /** Sockets per slice of a stream, and written per loop turn at most (`ROAR_FANOUT_SLICE`). */
  sliceSockets: number;
  random?: () => number;
  /** Wall-clock ms, compared with events' `ts` for the delivery lag. Default `Date.now`. */
  clock?: () => number;
  /** The clock `flush` is given, read for sends between ticks. Default `Date.now`. */
  now?: () => number;
  /** Closes chat delivery spans when their batch is written; undefined when tracing is off. */
  tracing?: Tracing | undefined;
  /** A stream has news (`markDirty`): the tick is needed (it runs only while `hasNews`). */
  onNews?: () => void;
  /**
   * A batch is about to be written: what must be stored no later than viewers see it (accepted
   * chat's history, which a moderator's pin or a joiner reads) is written now, not at the tick.
   */
  onDeliver?: () => void;
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
 *
 * Pacing, per stream: at most one frame per tick. News for a stream that sent nothing for a tick
 * goes out at once (the leading edge: a quiet stream does not wait for the tick); while a
 * stream's earlier batch is still being written, its news waits and goes out merged into one
 * batch as soon as those writes are done (coalescing when behind): a gateway that cannot keep up
 * writes fewer, fuller frames, and its queue holds about one batch per stream, never a backlog.
 */
export class Fanout {
  readonly #dirty = new Set<StreamState>();
  /** Streams that got news after a quiet tick: sent on this loop turn, not at the next tick. */
  readonly #leading = new Set<StreamState>();
  #leadingScheduled = false;
  readonly #o: FanoutOptions & { clock: () => number; now: () => number };
  readonly #queue: WriteQueue;
  readonly #slices: FanoutSlices;
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
  /** The longest a batch took to reach every socket since the last `takeLoad`, ms. */
  #longestMs = 0;

  constructor(options: FanoutOptions) {
    this.#o = { ...options, clock: options.clock ?? Date.now, now: options.now ?? Date.now };
    this.#queue = new WriteQueue(options.sliceSockets);
    this.#slices = new FanoutSlices(options.publisher, options.sliceSockets);
    this.#spacing = { viewers: options.countIntervalMs, reactions: 0, '*': 0 };
    this.#chatBudgetPerS = options.chatBudgetPerS;
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

  /**
   * For load control, since the last call: how long no writes were queued and the CPU used then,
   * and how far behind writes are (the longest a batch took to reach every socket, or has waited).
   */
  takeLoad(now: number): { idleMs: number; idleCpuUs: number; behindMs: number } {
    const oldest = this.#queue.oldestAt;
    const behindMs = Math.max(this.#longestMs, oldest === undefined ? 0 : now - oldest);
    this.#longestMs = 0;
    const idle = this.#queue.takeIdle();
    return { idleMs: idle.ms, idleCpuUs: idle.cpuUs, behindMs };
  }

  /** The stream has news: at the next tick, or at once when it has sent nothing for a tick. */
  markDirty(state: StreamState): void {
    this.#dirty.add(state);
    this.#o.onNews?.();
    const d = state.delivery;
    if (d.queued > 0 || this.#leading.has(state)) return;
    // A stream whose chat is sampled keeps to the ticks (and the storm tick: `#stormWait`).
    const now = this.#o.now();
    if (now - d.lastFlushAt < this.#o.tickMs || (d.sampler?.ratioAt(now) ?? 1) < 1) return;
    // On this turn's check phase, so what else arrived in the same read goes in the same frame.
    this.#leading.add(state);
    if (!this.#leadingScheduled) {
      this.#leadingScheduled = true;
      setImmediate(this.#sendLeading);
    }
  }

  /** Some stream has news for a tick: events, or a latest value waiting for its spacing. */
  get hasNews(): boolean {
    return this.#dirty.size > 0;
  }

  forget(state: StreamState): void {
    this.#dirty.delete(state);
    this.#leading.delete(state);
  }

  /** The tick: every stream with news sends its batch, except those still writing one. */
  flush(now: number): void {
    const { tickMs, metrics } = this.#o;
    for (const state of this.#dirty) {
      const d = state.delivery;
      if (d.queued > 0) {
        // Behind: the news waits, merged into the batch sent when the writes are done.
        if (state.pending.length > 0 || state.waiting) metrics.coalesced.inc();
        continue;
      }
      // A frame sent between ticks less than a tick ago: this tick would be a second one.
      if (now - d.offTickAt < tickMs || this.#stormWait(state, now)) continue;
      this.#send(state, now);
    }
    this.#queue.start();
  }

  /** Writes everything queued now, and what waited behind it (shutdown). */
  drainAll(): void {
    this.#queue.drainAll();
    const now = this.#o.now();
    for (const state of this.#dirty) this.#send(state, now);
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
    const slice = this.#slices.pick(state);
    const join = (): void => {
      ws.subscribe(topicOf(s.codec, state.id, s.slowSince !== undefined, slice));
      // It may lack a value the last batch gave its slice: the next batch sends it to all.
      state.delivery.joined = undefined;
    };
    if (state.delivery.queued === 0) return join();
    const key = `${s.id} ${state.id}`;
    const ticket = {};
    this.#waiting.set(key, ticket);
    this.#queue.push(state, () => {
      if (this.#waiting.get(key) === ticket) {
        this.#waiting.delete(key);
        if (s.open && !s.closed && s.streams.includes(state.id)) join();
      }
      this.#writesDone(state);
      return 0;
    });
  }

  /** Unsubscribes a socket from every slice and tier of a stream it leaves. */
  unsubscribe(ws: Socket, stream: string): void {
    this.#waiting.delete(`${ws.getUserData().id} ${stream}`);
    this.#slices.leave(ws, stream, this.#o.stream(stream)?.slices ?? 1);
  }

  /** Moves a socket between the full and the priority tier of a stream, in its slice. */
  moveTier(ws: Socket, stream: string, toPriority: boolean): void {
    this.#slices.moveTier(ws, stream, this.#o.stream(stream)?.slices ?? 1, toPriority);
  }

  /** No writes queued, no frame for a tick, not held back by a chat storm. */
  #canSend(state: StreamState, now: number): boolean {
    const d = state.delivery;
    return d.queued === 0 && now - d.lastFlushAt >= this.#o.tickMs && !this.#stormWait(state, now);
  }

  /**
   * A stream in a chat storm goes out in fewer, fuller frames: a reader cannot tell 50 ms from
   * 200 ms, and frames, not messages, are what a viewer costs. Priority news does not wait.
   */
  #stormWait(state: StreamState, now: number): boolean {
    const d = state.delivery;
    return (
      d.sampler !== undefined &&
      d.sampler.ratioAt(now) < 1 &&
      now - d.lastFlushAt < this.#o.stormTickMs &&
      !state.pending.some((e) => e.event.type !== 'chat' || isPriorityChat(e.event))
    );
  }

  readonly #sendLeading = (): void => {
    this.#leadingScheduled = false;
    const now = this.#o.now();
    for (const state of this.#leading) {
      if (!this.#dirty.has(state) || !this.#canSend(state, now)) continue;
      if (this.#send(state, now)) {
        state.delivery.offTickAt = now;
        this.#o.metrics.leadingBatches.inc();
      }
    }
    this.#leading.clear();
    this.#queue.start();
  };

  /**
   * A stream's queued writes are all done (the last job of a batch or a waiting join): news that
   * waited behind them goes out now, merged, if a tick has passed since its last frame; else the
   * next tick takes it.
   */
  #writesDone(state: StreamState): void {
    if (state.delivery.queued > 0 || !this.#dirty.has(state)) return;
    const now = this.#o.now();
    if (this.#canSend(state, now) && this.#send(state, now)) state.delivery.offTickAt = now;
  }

  /** Takes the stream's batch and queues its writes; true when there was something to send. */
  #send(state: StreamState, now: number): boolean {
    const events = state.takeBatch(now, this.#spacing);
    if (!state.waiting) this.#dirty.delete(state);
    if (events.length === 0) return false;
    this.#deliver(state, events, now);
    return true;
  }

  #deliver(state: StreamState, events: EncodedEvent[], now: number): void {
    const { metrics, publisher, own } = this.#o;
    this.#o.onDeliver?.();
    const d = state.delivery;
    d.lastFlushAt = now;
    const batch = prepareBatch(state, events, now, this.#chatBudgetPerS, this.#o.random);
    const { head, full, left, oldest } = batch;
    if (left !== undefined) metrics.sampledOut.inc(left.size);
    metrics.batches.inc();
    const frames = new SliceFrames(head, full, events, state.slots.lastTaken, d.joined);
    d.joined = undefined;
    for (let slice = 0; slice < d.slices; slice++) {
      this.#queue.push(state, () => {
        const sliceFrames = frames.forSlice(slice, state.slots, this.#spacing);
        const written = publishSlice(publisher, metrics, state.id, slice, sliceFrames, full);
        frames.written(slice, d, state.slots, this.#o.now(), metrics.latestReached);
        return written;
      });
    }
    this.#queue.push(state, () => {
      if (frames.joins > 0) {
        d.joined = frames.joined;
        metrics.joined.inc(frames.joins);
      }
      const written = own.deliver(state.id, events, left, head);
      if (written > 0) metrics.framesOut.inc(written);
      // The batch's last job: every slice is written. Observed once per batch, for its oldest
      // message (accepted at `ts` by whichever gateway took it).
      if (oldest !== Number.POSITIVE_INFINITY)
        metrics.deliveryLag.observe(Math.max(0, this.#o.clock() - oldest) / 1000);
      const ms = Math.max(0, this.#o.now() - now);
      this.#longestMs = Math.max(this.#longestMs, ms);
      metrics.fanoutWrite.observe(ms / 1000);
      this.#o.tracing?.delivered(events);
      this.#writesDone(state);
      return written;
    });
  }
}
