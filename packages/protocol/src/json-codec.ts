import type { EncodedEvent } from './encoded-event.js';
import type { BatchMessage, ClientMessage, JoinedMessage, ServerMessage } from './messages.js';
import type { Codec, Frame, Incoming } from './codec.js';
import { jsonClientCodec, parseJsonFrame } from './json-client-codec.js';
import { parseClientMessage } from './validate.js';

class JsonCodec implements Codec {
  readonly name = 'json' as const;
  readonly subprotocol = jsonClientCodec.subprotocol;
  readonly binary = false;
  readonly encodeClient = jsonClientCodec.encodeClient;
  readonly decodeServer = jsonClientCodec.decodeServer;

  decodeClient(data: Incoming): ClientMessage {
    return parseClientMessage(parseJsonFrame(data));
  }

  encodeServer(message: ServerMessage): Frame {
    return JSON.stringify(message);
  }

  encodeBatch(head: Omit<BatchMessage, 'events'>, events: readonly EncodedEvent[]): Frame {
    return this.#splice(head, 'events', events);
  }

  encodeJoined(message: Omit<JoinedMessage, 'history'>, history: readonly EncodedEvent[]): Frame {
    return this.#splice(message, 'history', history);
  }

  #splice(head: object, key: string, events: readonly EncodedEvent[]): string {
    const headJson = JSON.stringify(head);
    let body = '';
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e === undefined) continue;
      body += i === 0 ? e.json : `,${e.json}`;
    }
    const sep = headJson.length > 2 ? ',' : '';
    return `${headJson.slice(0, -1)}${sep}${JSON.stringify(key)}:[${body}]}`;
  }
}

export const jsonCodec: Codec = new JsonCodec();
