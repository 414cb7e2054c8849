import {
  EncodedEvent,
  viewersText,
  type StreamEvent,
  type ViewerCount,
  type ViewersEvent,
} from '@roar/protocol';
import { Delivery } from './delivery.js';
import { StreamModeration } from '../moderation/rules/stream-moderation.js';
import type { StreamSettings } from '@roar/store';
import { ChatRecovery } from './chat-recovery.js';
import { LatestSlots, type SlotSpacing } from './latest-slots.js';
import { StreamCounters } from './stream-counters.js';
import { nextOrigin } from './positions.js';
import { RecentChat } from './recent-chat.js';

/** One stream as this gateway holds it: local viewers, pending fanout, recent chat, counters. */
export class StreamState {
  readonly id: string;
  readonly partition: number;
  readonly recent: RecentChat;
  /** This gateway's origin for the stream's messages it accepts (see `ChatEvent.origin`). */
  readonly origin = nextOrigin();
  #seq = 0;
  /** What live chat missed, waiting to be recovered from history (see `StreamRegistry`). */
  readonly recovery = new ChatRecovery();
  #viewers = 0;
  #emptySince: number | undefined;
  #ready: Promise<void> = Promise.resolve();
  #loaded = true;
  #pending: EncodedEvent[] = [];
  /** What the stream counted for the next reports (see `Reporter`, `IdentityWriter`). */
  readonly counters = new StreamCounters();
  /**
   * Latest-value events waiting for their push: the newest count (`viewers`), the reaction bursts
   * not sent yet, merged (`reactions`; under pressure both go out less often), and features' own.
   */
  readonly slots: LatestSlots;
  /** Fanout's own per-stream state (slices, sampling, queued writes): written by fanout only. */
  readonly delivery = new Delivery();
  /** The newest totals from the aggregator (or the store, until the aggregator speaks). */
  #totals: ViewerCount | undefined;
  #totalsEpoch = 0;
  /** When the totals were last heard of (or the stream opened); for the stale mark. */
  #totalsAt: number;
  /** Rules, bans and the pin, cached from the store. */
  readonly mod: StreamModeration;

  constructor(
    id: string,
    partition: number,
    historyCapacity: number,
    defaults: StreamSettings,
    openedAt = 0,
    /** The gateway's clock, for when latest values arrive (`roar_fanout_latest_seconds`). */
    clock: () => number = Date.now,
  ) {
    this.slots = new LatestSlots(['reactions', 'viewers'], ['reactions'], clock);
    this.id = id;
    this.partition = partition;
    this.recent = new RecentChat(historyCapacity);
    this.mod = new StreamModeration(defaults);
    this.#totalsAt = openedAt;
  }

  /** Local viewers: exact, changed on join, leave and close. */
  get viewers(): number {
    return this.#viewers;
  }

  /** When the last local viewer left; undefined while someone watches. */
  get emptySince(): number | undefined {
    return this.#emptySince;
  }

  /** Settles when recent history and totals are loaded (once per stream, shared by all joins). */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * True once `ready` has resolved: what waits for it may then go on without awaiting (chat
   * answers in the frame's own call). A load that rejected leaves it false, so those waiters
   * still await `ready` and see the failure.
   */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** The stream's first loads (history, totals, rules) settle with `loads`. */
  loading(loads: Promise<void>): void {
    this.#ready = loads;
    this.#loaded = false;
    loads.then(
      () => {
        if (this.#ready === loads) this.#loaded = true;
      },
      // Not handled here: whoever awaits `ready` gets the rejection.
      () => undefined,
    );
  }

  /** Events received this tick, to go out in the next batch. */
  get pending(): readonly EncodedEvent[] {
    return this.#pending;
  }

  /** The highest lease epoch of the aggregator's events accepted for this stream (fencing). */
  get totalsEpoch(): number {
    return this.#totalsEpoch;
  }

  /** The next position of this gateway's messages in the stream: taken when one is published. */
  nextSeq(): number {
    return ++this.#seq;
  }

  /** A viewer joined: counted, and its identity goes to the unique counter with the next report. */
  join(identityKey: string): void {
    this.#viewers++;
    this.#emptySince = undefined;
    this.counters.noteIdentity(identityKey);
  }

  /** A viewer left (or its connection closed); the stream is empty since `now` if it was the last. */
  leave(now: number): void {
    if (this.#viewers <= 0) return;
    this.#viewers--;
    if (this.#viewers === 0) this.#emptySince = now;
  }
  /** Held without viewers (a warm-up ended): empty since `now`, unless it already was. */
  markEmpty(now: number): void {
    if (this.#viewers === 0) this.#emptySince ??= now;
  }

  /** Totals read from the store when the stream opened, unless the aggregator spoke first. */
  seedTotals(totals: ViewerCount | undefined): void {
    this.#totals ??= totals;
  }

  /** A reaction was accepted here (it counts in the next reaction report). */
  countReaction(emoji: string): void {
    this.counters.countReaction(emoji);
  }

  /** A chat message was accepted here (it counts in the next report's chat rate). */
  countChat(): void {
    this.counters.countChat();
  }

  /**
   * Takes a viewers event from the aggregator, unless its epoch is lower than one already taken:
   * a deposed owner's late figures (an aggregator resumed after a pause) are never shown. Once
   * the figures are stale (their owner went silent) any epoch is taken again, so an epoch from a
   * clock that was ahead (a lease claimed blind while Redis was down) cannot mute a stream.
   * `same`: taken, but the figures are the ones viewers have (the owner's refresh of an unchanged
   * stream, which only says it is alive).
   */
  acceptTotals(event: ViewersEvent, now: number): 'fenced' | 'same' | 'new' {
    const epoch = typeof event.epoch === 'number' ? event.epoch : 0;
    const was = this.#totals;
    if (epoch < this.#totalsEpoch && was?.stale !== true) return 'fenced';
    this.#totalsEpoch = epoch;
    this.#totalsAt = now;
    const same =
      was !== undefined &&
      was.stale !== true &&
      was.total === event.total &&
      was.text === event.text &&
      was.uniques === event.uniques &&
      was.peak === event.peak;
    if (same) return 'same';
    const totals: ViewerCount = { total: event.total, text: event.text };
    if (event.uniques !== undefined) totals.uniques = event.uniques;
    if (event.peak !== undefined) totals.peak = event.peak;
    this.#totals = totals;
    return 'new';
  }

  /**
   * The count's owner has said nothing for `staleAfterMs` (it republishes every stream with
   * viewers more often than that): the figures are kept, marked stale, never replaced by 0.
   * Returns the event telling viewers so, once per silence.
   */
  markStale(now: number, staleAfterMs: number): EncodedEvent<ViewersEvent> | undefined {
    const totals = this.#totals;
    if (!totals || totals.stale || now - this.#totalsAt < staleAfterMs) return undefined;
    this.#totals = { ...totals, stale: true };
    return EncodedEvent.of<ViewersEvent>({ type: 'viewers', ...this.#totals });
  }

  /** What a joining viewer is told: the cluster total if known, else this gateway's count. */
  viewerCount(): ViewerCount {
    if (this.#totals) return this.#totals;
    return { total: this.#viewers, text: viewersText(this.#viewers) };
  }

  enqueue(event: EncodedEvent<StreamEvent>): void {
    this.#pending.push(event);
  }

  /** The newest count, for the next push slot (counts are latest-value, never queued). */
  queueViewers(event: EncodedEvent<ViewersEvent>): void {
    this.slots.set('viewers', event);
  }

  /** A deleted message: it leaves recent chat, and never goes out if it has not yet. */
  dropChat(id: string): void {
    this.recent.remove(id);
    this.#pending = this.#pending.filter((e) => !(e.event.type === 'chat' && e.event.id === id));
  }

  /** A cleared chat: recent chat empties, and no queued chat goes out. */
  clearChat(): void {
    this.recent.clear();
    this.#pending = this.#pending.filter((e) => e.event.type !== 'chat');
  }

  /** Viewer slices of the stream (see `Fanout`). */
  get slices(): number {
    return this.delivery.slices;
  }

  /** Latest-value events still wait for their push slot (see `slots`). */
  get waiting(): boolean {
    return this.slots.waiting;
  }

  /**
   * Takes this tick's batch: every queued event, then the latest-value events whose spacing
   * allows (the others wait; see `waiting`).
   */
  takeBatch(now: number, spacing: SlotSpacing): EncodedEvent[] {
    const events = this.#pending;
    this.#pending = [];
    this.slots.take(now, spacing, events);
    return events;
  }
}
