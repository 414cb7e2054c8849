import type { Transport, TransportFactory } from './transport.js';

/** Which transport a client uses: the WebSocket, the event-stream fallback, or either. */
export type TransportMode = 'auto' | 'websocket' | 'sse';

export interface TransportChoiceOptions {
  /** Absent when the runtime has no WebSocket. */
  websocket: TransportFactory | undefined;
  /** Absent when the runtime has no EventSource (Node without one passed in). */
  sse: TransportFactory | undefined;
  /** Dials that end without a welcome before `auto` tries the other transport. */
  fallbackAfter: number;
}

/**
 * Picks the transport for each dial. With both available (`auto`), the WebSocket comes first;
 * after `fallbackAfter` dials in a row end without a welcome, the event-stream fallback is tried,
 * and after as many failures there, the WebSocket again (the server may simply have been down,
 * and then neither says anything about the network). Once the fallback is welcomed while the
 * WebSocket was failing, the client keeps it: a network that blocks WebSocket keeps blocking it,
 * and every return to the WebSocket would cost `fallbackAfter` failed dials.
 */
export class TransportChoice {
  readonly #o: TransportChoiceOptions;
  #current: 'websocket' | 'sse';
  #failures = 0;
  #settledOnSse = false;

  constructor(options: TransportChoiceOptions) {
    if (!options.websocket && !options.sse) throw new TypeError('no transport available');
    this.#o = options;
    this.#current = options.websocket ? 'websocket' : 'sse';
  }

  /** The transport for the next dial. */
  next(): Transport {
    const factory = this.#o[this.#current] ?? this.#o.websocket ?? this.#o.sse;
    // The constructor guarantees one of the two exists.
    return (factory as TransportFactory)();
  }

  /** The last dial ended: `welcomed` says whether the server welcomed it before it ended. */
  settled(welcomed: boolean): void {
    if (welcomed) {
      this.#failures = 0;
      if (this.#current === 'sse' && this.#o.websocket) this.#settledOnSse = true;
      return;
    }
    this.#failures++;
    if (this.#settledOnSse || !this.#o.websocket || !this.#o.sse) return;
    if (this.#failures >= this.#o.fallbackAfter) {
      this.#current = this.#current === 'websocket' ? 'sse' : 'websocket';
      this.#failures = 0;
    }
  }
}

/** A single factory (forced mode, or the app's own transport): no choice to make. */
export function fixedChoice(factory: TransportFactory): TransportChoice {
  return new TransportChoice({ websocket: factory, sse: undefined, fallbackAfter: 1 });
}
