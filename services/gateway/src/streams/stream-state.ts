import type { Subscription } from '@roar/bus';
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
import { nextOrigin, type Hole } from './positions.js';
import { LatestSlots, type SlotSpacing } from './latest-slots.js';
import { RecentChat } from './recent-chat.js';

/** One stream as this gateway holds it: local viewers, pending fanout, recent chat, counters. */
export class StreamState {
  readonly id: string;
  readonly partition: number;
  readonly recent: RecentChat;
  /** This gateway's origin for the stream's messages it accepts (see `ChatEvent.origin`). */
  readonly origin: string;
  #seq = 0;
  /** Holes seen in live chat, waiting to be filled from history (or reported as a gap). */
  holes: Hole[] = [];
  /**
   * Set after a bus outage: every message since `since` may have been missed; `at` is when the
   * bus came back (recovery waits a moment after it, for the messages to be stored).
   */
  missed: { since: number; at: number } | undefined;
  /** A recovery read of stored history is in flight. */
  recovering = false;
  /** Local viewers: exact, changed on join, leave and close. */
  viewers = 0;
  /** When the last local viewer left; undefined while someone watches. */
  emptySince: number | undefined;
  /** When this stream was last included in a report to the aggregator. */
  #lastReportedAt = 0;
  subscription: Subscription | undefined;
  /** Settles when recent history and totals are loaded (once per stream, shared by all joins). */
  ready: Promise<void> = Promise.resolve();
  /** Events received this tick, to go out in the next batch. */
  pending: EncodedEvent[] = [];
  /**
   * Latest-value events waiting for their push: the newest count (`viewers`), the reaction bursts
   * not sent yet, merged (`reactions`; under pressure both go out less often), and features' own.
   */
  readonly slots = new LatestSlots(['reactions', 'viewers']);
  /** Fanout's own per-stream state (slices, sampling, queued writes): written by fanout only. */
  readonly delivery = new Delivery();
  /** The newest totals from the aggregator (or the store, until the aggregator speaks). */
  totals: ViewerCount | undefined;
  /** The highest lease epoch of the aggregator's events accepted for this stream (fencing). */
  totalsEpoch = 0;
  /** When the totals were last heard of (or the stream opened); for the stale mark. */
  totalsAt = 0;
  /** Local viewers as last reported to the aggregator, for early reports (see `Reporter`). */
  #reportedViewers = 0;
  /** New identities were added to the unique counter since the last report. */
  #identitiesCounted = false;
  /** Reactions counted locally in the current window, for the next reaction report. */
  #reactions = new Map<string, number>();
  /** Identities first seen here, not yet written to the unique counter. */
  #newIdentities: string[] = [];
  /** Identities written to the store, to be sent in the next report too (`uniquesInReports`). */
  #reportIdentities: string[] = [];
  /** Chat messages this gateway accepted for the stream since the last report. */
  #chatAccepted = 0;
  /** Rules, bans and the pin, cached from the store. */
  readonly mod: StreamModeration;

  constructor(
    id: string,
    partition: number,
    historyCapacity: number,
    defaults: StreamSettings,
    origin: string = nextOrigin(),
  ) {
    this.id = id;
    this.partition = partition;
    this.recent = new RecentChat(historyCapacity);
    this.mod = new StreamModeration(defaults);
    this.origin = origin;
  }

  /** The next position of this gateway's messages in the stream: taken when one is published. */
  nextSeq(): number {
    return ++this.#seq;
  }

  /** `missing` positions of `origin` before `seq` did not arrive. */
  noteHole(origin: string, seq: number, missing: number, now: number): void {
    this.holes.push({ origin, from: seq - missing, to: seq - 1, at: now });
  }

  /** A viewer joined: counted, and its identity goes to the unique counter with the next report. */
  join(identityKey: string): void {
    this.viewers++;
    this.emptySince = undefined;
    this.#newIdentities.push(identityKey);
  }

  /** A viewer left (or its connection closed); the stream is empty since `now` if it was the last. */
  leave(now: number): void {
    if (this.viewers <= 0) return;
    this.viewers--;
    if (this.viewers === 0) this.emptySince = now;
  }

  /** Totals read from the store when the stream opened, unless the aggregator spoke first. */
  seedTotals(totals: ViewerCount | undefined): void {
    this.totals ??= totals;
  }

  countReaction(emoji: string): void {
    this.#reactions.set(emoji, (this.#reactions.get(emoji) ?? 0) + 1);
  }

  /** A chat message was accepted here (it counts in the next report's chat rate). */
  countChat(): void {
    this.#chatAccepted++;
  }

  /** When this stream was last included in a report to the aggregator. */
  get lastReportedAt(): number {
    return this.#lastReportedAt;
  }

  /** Local viewers as last reported to the aggregator. */
  get reportedViewers(): number {
    return this.#reportedViewers;
  }

  /** The identities to write to the unique counter (each once), or undefined when none. */
  takeNewIdentities(): string[] | undefined {
    if (this.#newIdentities.length === 0) return undefined;
    const ids = [...new Set(this.#newIdentities)];
    this.#newIdentities = [];
    return ids;
  }

  /**
   * A write of `ids` failed: they wait for the next one, before those noted since, at most `max`
   * in all (the oldest go). Returns how many were dropped.
   */
  retryIdentities(ids: string[], max: number): number {
    const pending = ids.concat(this.#newIdentities);
    const over = pending.length - max;
    this.#newIdentities = over > 0 ? pending.slice(over) : pending;
    return Math.max(0, over);
  }

  /** Identities were added to the unique counter: the next report says so. */
  noteIdentitiesCounted(): void {
    this.#identitiesCounted = true;
  }

  /** Written identities that the next report carries too, while fewer than `max` wait. */
  queueReportIdentities(ids: string[], max: number): void {
    if (this.#reportIdentities.length < max) this.#reportIdentities.push(...ids);
  }

  /**
   * Takes what the next count report says of this stream, `viewers` being the count it reports:
   * the chat accepted since the last one, whether identities were counted, and (when
   * `withIdentities`) the identities to carry.
   */
  takeReport(
    viewers: number,
    now: number,
    withIdentities: boolean,
  ): { chat: number; counted: boolean; identities: string[] | undefined } {
    const chat = this.#chatAccepted;
    const counted = this.#identitiesCounted;
    let identities: string[] | undefined;
    if (withIdentities && this.#reportIdentities.length > 0) {
      identities = this.#reportIdentities;
      this.#reportIdentities = [];
    }
    this.#reportedViewers = viewers;
    this.#chatAccepted = 0;
    this.#identitiesCounted = false;
    this.#lastReportedAt = now;
    return { chat, counted, identities };
  }

  /** The reactions counted since the last call, or undefined when none. */
  takeReactions(): Map<string, number> | undefined {
    if (this.#reactions.size === 0) return undefined;
    const reactions = this.#reactions;
    this.#reactions = new Map();
    return reactions;
  }

  /**
   * Takes a viewers event from the aggregator, unless its epoch is lower than one already taken:
   * a deposed owner's late figures (an aggregator resumed after a pause) are never shown. Once
   * the figures are stale (their owner went silent) any epoch is taken again, so an epoch from a
   * clock that was ahead (a lease claimed blind while Redis was down) cannot mute a stream.
   */
  acceptTotals(event: ViewersEvent, now: number): boolean {
    const epoch = typeof event.epoch === 'number' ? event.epoch : 0;
    if (epoch < this.totalsEpoch && this.totals?.stale !== true) return false;
    this.totalsEpoch = epoch;
    const totals: ViewerCount = { total: event.total, text: event.text };
    if (event.uniques !== undefined) totals.uniques = event.uniques;
    if (event.peak !== undefined) totals.peak = event.peak;
    this.totals = totals;
    this.totalsAt = now;
    return true;
  }

  /**
   * The count's owner has said nothing for `staleAfterMs` (it republishes every stream with
   * viewers more often than that): the figures are kept, marked stale, never replaced by 0.
   * Returns the event telling viewers so, once per silence.
   */
  markStale(now: number, staleAfterMs: number): EncodedEvent<ViewersEvent> | undefined {
    const totals = this.totals;
    if (!totals || totals.stale || now - this.totalsAt < staleAfterMs) return undefined;
    this.totals = { ...totals, stale: true };
    return EncodedEvent.of<ViewersEvent>({ type: 'viewers', ...this.totals });
  }

  /** What a joining viewer is told: the cluster total if known, else this gateway's count. */
  viewerCount(): ViewerCount {
    if (this.totals) return this.totals;
    return { total: this.viewers, text: viewersText(this.viewers) };
  }

  enqueue(event: EncodedEvent<StreamEvent>): void {
    this.pending.push(event);
  }

  /** The newest count, for the next push slot (counts are latest-value, never queued). */
  queueViewers(event: EncodedEvent<ViewersEvent>): void {
    this.slots.set('viewers', event);
  }

  /** A deleted message: it leaves recent chat, and never goes out if it has not yet. */
  dropChat(id: string): void {
    this.recent.remove(id);
    this.pending = this.pending.filter((e) => !(e.event.type === 'chat' && e.event.id === id));
  }

  /** A cleared chat: recent chat empties, and no queued chat goes out. */
  clearChat(): void {
    this.recent.clear();
    this.pending = this.pending.filter((e) => e.event.type !== 'chat');
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
    const events = this.pending;
    this.pending = [];
    this.slots.take(now, spacing, events);
    return events;
  }
}
