import type { ScheduledEvent } from '@roar/store';

/**
 * A change of the schedule on `<prefix>.schedule`, sent by the gateway whose admin API made it:
 * the whole event as stored, or null when it was cancelled. The store holds the truth; a
 * gateway that missed news (the bus was away) reads every event again every `refreshMs`.
 */
export interface ScheduleNews {
  stream: string;
  event: ScheduledEvent | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeNews(news: ScheduleNews): Uint8Array {
  return encoder.encode(JSON.stringify(news));
}

/** The news in `bytes`, or undefined when they are not schedule news. */
export function decodeNews(bytes: Uint8Array): ScheduleNews | undefined {
  let v: unknown;
  try {
    v = JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { stream, event } = v as Partial<Record<string, unknown>>;
  if (typeof stream !== 'string') return undefined;
  if (event === null) return { stream, event: null };
  if (
    typeof event !== 'object' ||
    event === undefined ||
    (event as Partial<ScheduledEvent>).stream !== stream ||
    typeof (event as Partial<ScheduledEvent>).startAt !== 'number' ||
    typeof (event as Partial<ScheduledEvent>).warmAt !== 'number' ||
    typeof (event as Partial<ScheduledEvent>).expectedViewers !== 'number' ||
    !Array.isArray((event as Partial<ScheduledEvent>).gateways)
  ) {
    return undefined;
  }
  return { stream, event: event as ScheduledEvent };
}
