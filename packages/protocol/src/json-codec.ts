import type { EncodedEvent } from './encoded-event.js';
import { ErrorCode, ProtocolError } from './errors.js';
import type { BatchMessage, ClientMessage, JoinedMessage, ServerMessage } from './messages.js';
import { checkServerShape, type Codec, type Frame, type Incoming } from './codec.js';
import { parseClientMessage } from './validate.js';
import { Subprotocol } from './version.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

class JsonCodec implements Codec {
  readonly name = 'json' as const;
  readonly subprotocol = Subprotocol.json;
  readonly binary = false;

  decodeClient(data: Incoming): ClientMessage {
    return parseClientMessage(this.#parse(data));
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

  encodeClient(message: ClientMessage): Frame {
    return JSON.stringify(message);
  }

  decodeServer(data: Incoming): ServerMessage {
    return checkServerShape(this.#parse(data));
  }

  #parse(data: Incoming): unknown {
    let text: string;
    if (typeof data === 'string') {
      text = data;
    } else {
      try {
        text = utf8.decode(data);
      } catch (cause) {
        throw new ProtocolError(ErrorCode.InvalidUtf8, 'frame is not valid UTF-8', { cause });
      }
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new ProtocolError(ErrorCode.BadFrame, 'frame is not valid JSON', { cause });
    }
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
