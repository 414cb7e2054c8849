import type { ChatEvent, Codec, EncodedEvent } from '@roar/protocol';
import { ChatSampler } from './chat-sampler.js';
import { CODECS, TIERS, isPriorityChat, type Frames } from './fanout-frames.js';
import type { GatewayMetrics } from '../base/metrics.js';
import { topicOf, type Publisher } from '../transport/socket.js';
import type { StreamState } from './stream-state.js';

export type BatchHead = { type: 'batch'; stream: string; sampled?: number };

/** One batch of a stream as fanout writes it (see `prepareBatch`). */
export interface Batch {
  head: BatchHead;
  /** What the full tier gets: `events` less the chat sampling left out. */
  full: EncodedEvent[];
  /** Ordinary chat sampling left out (its senders still get their own; see `OwnMessages`). */
  left: Set<EncodedEvent> | undefined;
  /** When the batch's oldest chat message was accepted; +∞ when it has none. */
  oldest: number;
}

/**
 * Makes a batch of a stream's events: every chat message goes into recent history (all of them,
 * in order: sampling decides only what is pushed live), holes in positions are noted for
 * recovery, and ordinary chat is sampled to the viewer budget by when it was sent, so a batch
 * merged from several ticks (a gateway behind its writes) is credited the time it spans.
 */
export function prepareBatch(
  state: StreamState,
  events: EncodedEvent[],
  now: number,
  budgetPerS: number,
  random: (() => number) | undefined,
): Batch {
  const d = state.delivery;
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
    const missing = state.recent.push({ id: event.id, event: e as EncodedEvent<ChatEvent> });
    // Holes are filled from history by the registry, or reported to viewers as a gap event.
    if (missing > 0)
      state.recovery.noteHole(event.origin as string, event.seq as number, missing, now);
    if (isPriorityChat(event)) continue;
    const sent = Math.min(event.ts, now);
    d.sampler ??= new ChatSampler(budgetPerS, sent);
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
    d.sampler.setBudget(budgetPerS);
    // The rate is judged by when messages were sent, so a backlog delivered at once after a
    // stall is not taken for chat outrunning reading.
    const kept = d.sampler.select(ordinary, sentUntil, random, sentFrom);
    for (const e of kept) d.sampler.delivered(Math.min((e.event as ChatEvent).ts, now));
    if (kept.length < ordinary.length) {
      const keep = new Set(kept);
      left ??= new Set();
      for (const e of ordinary) if (!keep.has(e)) left.add(e);
    }
  }
  const full = left === undefined ? events : events.filter((e) => !left.has(e));
  const ratio = d.sampler?.ratioAt(now) ?? 1;
  const head: BatchHead =
    ratio < 1
      ? { type: 'batch', stream: state.id, sampled: Math.round(ratio * 1000) / 1000 }
      : { type: 'batch', stream: state.id };
  return { head, full, left, oldest };
}

/** Writes a batch to one slice of a stream's viewers; returns how many sockets it wrote to. */
export function publishSlice(
  publisher: Publisher,
  metrics: GatewayMetrics,
  stream: string,
  slice: number,
  frames: Frames,
  full: readonly EncodedEvent[],
): number {
  let written = 0;
  let slow = 0;
  for (let c = 0; c < CODECS.length; c++) {
    const codec = CODECS[c] as Codec;
    for (const priorityTier of TIERS) {
      const topic = topicOf(codec, stream, priorityTier, slice);
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
