import type { BusStatus } from './bus.js';

/**
 * What a `WorkerBus` (in a worker thread) and its `WorkerBusHost` (beside the process's one broker
 * connection) say to each other over a `MessagePort`. Payload bytes travel in `SharedArrayBuffer`
 * slabs: copied once by the side that receives them from outside, then only views cross threads.
 */
export type WorkerOp =
  | { op: 'sub'; pattern: string }
  | { op: 'unsub'; pattern: string }
  | {
      op: 'pub';
      subject: string;
      buf: SharedArrayBuffer;
      off: number;
      len: number;
      headers: Readonly<Record<string, string>> | undefined;
    }
  | { op: 'flush'; id: number }
  | { op: 'close'; id: number };

/** Worker → host. Ops of one microtask turn travel as one message, in order. */
export type ToHost = { type: 'hello' } | { type: 'ops'; ops: WorkerOp[] };

/** One received message for one worker: the pattern it matched, its subject and bytes. */
export type Delivery = [
  pattern: string,
  subject: string,
  buf: SharedArrayBuffer,
  off: number,
  len: number,
  headers: [string, string][] | undefined,
];

/** Host → worker. */
export type ToWorker =
  | { type: 'welcome'; connected: boolean }
  | { type: 'msgs'; msgs: Delivery[] }
  | { type: 'status'; status: BusStatus }
  | { type: 'flushed'; id: number; error: string | undefined };

const slabBytes = 256 << 10;

/**
 * Append-only shared memory for payloads on their way to another thread. A region, once written,
 * is never written again, so the receiver may keep a view as long as it likes (and the slab stays
 * alive while one does). A payload over a quarter slab gets a buffer of its own.
 */
export class Slab {
  #buf = new SharedArrayBuffer(slabBytes);
  #bytes = new Uint8Array(this.#buf);
  #used = 0;

  /** Copies `payload` in; returns where it lives. */
  put(payload: Uint8Array): [SharedArrayBuffer, number] {
    const len = payload.byteLength;
    if (len > slabBytes >> 2) {
      const own = new SharedArrayBuffer(len);
      new Uint8Array(own).set(payload);
      return [own, 0];
    }
    if (this.#used + len > slabBytes) {
      this.#buf = new SharedArrayBuffer(slabBytes);
      this.#bytes = new Uint8Array(this.#buf);
      this.#used = 0;
    }
    const off = this.#used;
    this.#bytes.set(payload, off);
    this.#used += len;
    return [this.#buf, off];
  }
}
