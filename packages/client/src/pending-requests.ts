import {
  ErrorCode,
  Limits,
  type AckMessage,
  type ErrorMessage,
  type JoinedMessage,
  type LeftMessage,
  type PongMessage,
} from '@roar/protocol/core';
import type { Clock, Timer } from './clock.js';
import { ClientErrorCode, RoarClientError } from './errors.js';

/** The reply that completes each kind of request. */
export interface Replies {
  join: JoinedMessage;
  leave: LeftMessage;
  chat: AckMessage;
  react: AckMessage;
  ping: PongMessage;
  mod: AckMessage;
  widget: AckMessage;
  // Q&A (issue 14)
  ask: AckMessage;
  upvote: AckMessage;
  qa_mod: AckMessage;
  qa_mine: AckMessage;
  // Polls
  vote: AckMessage;
  poll: AckMessage;
}
export type RequestKind = keyof Replies;
type Reply = Replies[RequestKind];

const REPLY_TYPE: Record<RequestKind, Reply['type']> = {
  join: 'joined',
  leave: 'left',
  chat: 'ack',
  react: 'ack',
  ping: 'pong',
  mod: 'ack',
  widget: 'ack',
  ask: 'ack',
  upvote: 'ack',
  qa_mod: 'ack',
  qa_mine: 'ack',
  // Polls
  vote: 'ack',
  poll: 'ack',
};

interface Entry {
  kind: RequestKind;
  resolve: (reply: Reply) => void;
  reject: (error: RoarClientError) => void;
  timer: Timer;
}

/**
 * Requests waiting for their reply, by `ref`. Each settles exactly once: with its reply, with the
 * server's error, with `timeout` after `timeoutMs`, or with whatever `rejectAll` is given when the
 * connection drops. Refs are unsigned 32-bit and wrap, skipping any still in use.
 */
export class PendingRequests {
  readonly #entries = new Map<number, Entry>();
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #max: number;
  #next = 0;

  /** `firstRef` is where refs start; tests start near 2^32 to see them wrap. */
  constructor(clock: Clock, timeoutMs: number, max: number, firstRef = 0) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#max = max;
    this.#next = firstRef;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The kind of request waiting under `ref`, if any. */
  kindOf(ref: number): RequestKind | undefined {
    return this.#entries.get(ref)?.kind;
  }

  /**
   * Reserves a ref for a request of `kind`. Throws `too_many_requests` when `max` are already
   * waiting, which also guarantees a free ref is found within `max + 1` steps.
   */
  start<K extends RequestKind>(kind: K): { ref: number; reply: Promise<Replies[K]> } {
    if (this.#entries.size >= this.#max) {
      throw new RoarClientError(
        ClientErrorCode.TooManyRequests,
        `${this.#max} requests are already waiting for replies`,
      );
    }
    let ref = this.#next;
    while (this.#entries.has(ref)) ref = ref === Limits.refMax ? 0 : ref + 1;
    this.#next = ref === Limits.refMax ? 0 : ref + 1;
    const reply = new Promise<Replies[K]>((resolve, reject) => {
      const timer = this.#clock.setTimer(() => {
        this.#entries.delete(ref);
        reject(new RoarClientError(ClientErrorCode.Timeout, `no reply to ${kind} in time`));
      }, this.#timeoutMs);
      // The type check in `settle` guarantees the reply matches `kind`.
      this.#entries.set(ref, { kind, resolve: resolve as (reply: Reply) => void, reject, timer });
    });
    return { ref, reply };
  }

  /**
   * Completes the request `message.ref` answers. A reply of the wrong type is a server bug and
   * rejects with `bad_frame`. Returns false when nothing was waiting (it timed out, say).
   */
  settle(message: Reply | ErrorMessage): boolean {
    if (message.ref === undefined) return false;
    const entry = this.#take(message.ref);
    if (!entry) return false;
    if (message.type === 'error') {
      entry.reject(
        new RoarClientError(message.code, message.message, {
          retryAfterMs: message.retryAfterMs,
          stream: message.stream,
          version: typeof message.version === 'number' ? message.version : undefined,
        }),
      );
    } else if (message.type === REPLY_TYPE[entry.kind]) {
      entry.resolve(message);
    } else {
      entry.reject(
        new RoarClientError(ErrorCode.BadFrame, `${entry.kind} answered with ${message.type}`),
      );
    }
    return true;
  }

  /** Rejects the request waiting under `ref`, if any. */
  reject(ref: number, error: RoarClientError): void {
    this.#take(ref)?.reject(error);
  }

  /** Rejects everything waiting, e.g. with `disconnected` when the connection drops. */
  rejectAll(error: RoarClientError): void {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const entry of entries) {
      entry.timer.cancel();
      entry.reject(error);
    }
  }

  #take(ref: number): Entry | undefined {
    const entry = this.#entries.get(ref);
    if (!entry) return undefined;
    this.#entries.delete(ref);
    entry.timer.cancel();
    return entry;
  }
}
