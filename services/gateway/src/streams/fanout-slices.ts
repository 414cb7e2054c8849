import { CODECS } from './fanout-frames.js';
import { topicOf, type Publisher, type Socket } from '../transport/socket.js';
import type { StreamState } from './stream-state.js';

/**
 * A stream's viewers on this gateway in slices of `sliceSockets`, each a uWS topic per codec and
 * tier (see `Fanout`): which slice a joiner takes, and moving a socket within its slice.
 */
export class FanoutSlices {
  readonly #publisher: Publisher;
  readonly #sliceSockets: number;

  constructor(publisher: Publisher, sliceSockets: number) {
    this.#publisher = publisher;
    this.#sliceSockets = sliceSockets;
  }

  /** The first slice of the stream with room (the last joiner's first), or a new one. */
  pick(state: StreamState): number {
    const d = state.delivery;
    if (d.openSlice < d.slices && this.#hasRoom(state.id, d.openSlice)) {
      return d.openSlice;
    }
    for (let slice = 0; slice < d.slices; slice++) {
      if (this.#hasRoom(state.id, slice)) return (d.openSlice = slice);
    }
    return (d.openSlice = d.slices++);
  }

  /** Unsubscribes a socket from every slice and tier of a stream of `slices` slices. */
  leave(ws: Socket, stream: string, slices: number): void {
    const { codec } = ws.getUserData();
    for (let slice = 0; slice < slices; slice++) {
      ws.unsubscribe(topicOf(codec, stream, false, slice));
      ws.unsubscribe(topicOf(codec, stream, true, slice));
    }
  }

  /** Moves a socket between the full and the priority tier of a stream, in its slice. */
  moveTier(ws: Socket, stream: string, slices: number, toPriority: boolean): void {
    const { codec } = ws.getUserData();
    for (let slice = 0; slice < slices; slice++) {
      if (ws.unsubscribe(topicOf(codec, stream, !toPriority, slice))) {
        ws.subscribe(topicOf(codec, stream, toPriority, slice));
        return;
      }
    }
  }

  #hasRoom(stream: string, slice: number): boolean {
    let sockets = 0;
    for (const codec of CODECS) {
      sockets += this.#publisher.subscribers(topicOf(codec, stream, false, slice));
      sockets += this.#publisher.subscribers(topicOf(codec, stream, true, slice));
    }
    return sockets < this.#sliceSockets;
  }
}
