import {
  jsonCodec,
  msgpackCodec,
  type ChatEvent,
  type Codec,
  type EncodedEvent,
  type StreamEvent,
} from '@roar/protocol';

const PRIORITY_ROLES = new Set(['moderator', 'broadcaster', 'admin']);
export const CODECS: readonly Codec[] = [msgpackCodec, jsonCodec];
export const TIERS: readonly boolean[] = [false, true];

/** Chat from the broadcaster and moderators is never sampled out nor withheld from slow clients. */
export function isPriorityChat(event: ChatEvent): boolean {
  return event.user.roles?.some((r) => PRIORITY_ROLES.has(r)) ?? false;
}

/** What a slow connection still gets: everything but ordinary chat and reaction bursts. */
function isPriorityTier(event: StreamEvent): boolean {
  if (event.type === 'chat') return isPriorityChat(event);
  return event.type !== 'reactions';
}

/**
 * A batch's frames for each codec and tier, encoded on first use: the priority tier's events are
 * filtered only when some slice has a connection on that tier (mostly none has).
 */
export class Frames {
  readonly #cache: (Uint8Array | string | undefined)[] = [];
  readonly #head: { type: 'batch'; stream: string; sampled?: number };
  readonly #full: readonly EncodedEvent[];
  readonly #all: readonly EncodedEvent[];
  #priority: readonly EncodedEvent[] | undefined;

  constructor(
    head: { type: 'batch'; stream: string; sampled?: number },
    full: readonly EncodedEvent[],
    all: readonly EncodedEvent[],
  ) {
    this.#head = head;
    this.#full = full;
    this.#all = all;
  }

  /** Undefined when that tier has nothing to send. */
  get(c: number, priorityTier: boolean): Uint8Array | string | undefined {
    const events = priorityTier
      ? (this.#priority ??= this.#all.filter((e) => isPriorityTier(e.event)))
      : this.#full;
    if (events.length === 0) return undefined;
    const i = c * 2 + (priorityTier ? 1 : 0);
    return (this.#cache[i] ??= (CODECS[c] as Codec).encodeBatch(this.#head, events));
  }
}
