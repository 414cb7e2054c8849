import { describe, expect, it } from 'vitest';
import type { Codec } from './codec.js';
import { negotiateCodec } from './codecs.js';
import { jsonCodec } from './json-codec.js';
import { msgpackCodec } from './msgpack-codec.js';
import { EncodedEvent } from './encoded-event.js';
import { ErrorCode, ProtocolError } from './errors.js';
import type { ChatEvent, ServerMessage } from './messages.js';
import { pack, unpack } from './msgpack.js';

const chat = (id: string, text: string): ChatEvent => ({
  type: 'chat',
  id,
  ts: 1_700_000_000_000,
  user: { id: 'u1', name: 'Asha' },
  text,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  return undefined;
}

describe.each<[string, Codec]>([
  ['msgpack', msgpackCodec],
  ['json', jsonCodec],
])('%s codec', (_name, codec) => {
  it('round-trips client messages', () => {
    const msg = { type: 'chat', ref: 3, stream: 'final', text: 'six!' } as const;
    expect(codec.decodeClient(toBytes(codec.encodeClient(msg)))).toEqual(msg);
  });

  it('round-trips server messages', () => {
    const msg: ServerMessage = {
      type: 'error',
      ref: 2,
      code: 'rate_limited',
      message: 'slow down',
      retryAfterMs: 800,
    };
    expect(codec.decodeServer(toBytes(codec.encodeServer(msg)))).toEqual(msg);
  });

  it('splices pre-encoded events into batch frames', () => {
    const events = [
      EncodedEvent.of(chat('a', 'one')),
      EncodedEvent.fromMsgpack(pack(chat('b', 'two'))),
    ];
    const frame = codec.encodeBatch({ type: 'batch', stream: 'final' }, events);
    expect(codec.decodeServer(toBytes(frame))).toEqual({
      type: 'batch',
      stream: 'final',
      events: [chat('a', 'one'), chat('b', 'two')],
    });
  });

  it('splices large batches (array headers past 15 and 65535 elements)', () => {
    for (const n of [0, 15, 16, 70_000]) {
      const events = Array.from({ length: n }, (_, i) => EncodedEvent.of(chat(String(i), 'x')));
      const decoded = codec.decodeServer(
        toBytes(codec.encodeBatch({ type: 'batch', stream: 's' }, events)),
      );
      expect(decoded.type === 'batch' && decoded.events.length).toBe(n);
    }
  });

  it('splices history into joined frames', () => {
    const frame = codec.encodeJoined(
      {
        type: 'joined',
        ref: 1,
        stream: 's',
        viewers: { total: 3, text: '3 watching' },
        resumed: false,
        gap: false,
        reactions: ['🔥'],
        settings: {
          chatEnabled: true,
          slowModeS: 0,
          emoteOnly: false,
          subscribersOnly: false,
          followersOnly: false,
          uniqueChat: false,
          maxLength: 500,
          reactions: ['🔥'],
          reactionsEnabled: true,
          links: 'allow',
        },
        pinned: null,
      },
      [EncodedEvent.of(chat('a', 'hello'))],
    );
    const decoded = codec.decodeServer(toBytes(frame));
    expect(decoded).toMatchObject({ type: 'joined', ref: 1, history: [chat('a', 'hello')] });
  });

  it('rejects garbage with bad_frame', () => {
    expect(codeOf(() => codec.decodeClient(new Uint8Array([0xc1, 0xff, 0x00])))).toMatch(
      /bad_frame|invalid_utf8/,
    );
    expect(codeOf(() => codec.decodeClient(new Uint8Array([])))).toBe(ErrorCode.BadFrame);
  });
});

describe('msgpack codec specifics', () => {
  it('reports invalid UTF-8 inside a msgpack string', () => {
    // {type:'chat', stream:'s', text:<0xff 0xfe>}: msgpack decoders turn the bytes into U+FFFD.
    const head = Buffer.from(pack({ type: 'chat', stream: 's', text: 'ab' }));
    const bytes = Buffer.from(head);
    bytes[bytes.length - 2] = 0xff;
    bytes[bytes.length - 1] = 0xfe;
    expect(codeOf(() => msgpackCodec.decodeClient(bytes))).toBe(ErrorCode.InvalidUtf8);
  });

  it('rejects trailing bytes', () => {
    const bytes = new Uint8Array([...pack({ type: 'ping' }), 0x01]);
    expect(codeOf(() => msgpackCodec.decodeClient(bytes))).toBe(ErrorCode.BadFrame);
  });

  it('encodes maps any msgpack reader understands (no msgpackr records)', () => {
    const bytes = msgpackCodec.encodeServer({ type: 'pong', ts: 5 }) as Uint8Array;
    expect(bytes[0]).toBe(0x82); // fixmap of two entries
    expect(unpack(bytes)).toEqual({ type: 'pong', ts: 5 });
  });
});

describe('json codec specifics', () => {
  it('reports invalid UTF-8 in a binary frame', () => {
    expect(codeOf(() => jsonCodec.decodeClient(new Uint8Array([0x7b, 0xff, 0x7d])))).toBe(
      ErrorCode.InvalidUtf8,
    );
  });

  it('encodes the JSON form of an event only once', () => {
    const e = EncodedEvent.of(chat('a', 'x'));
    expect(e.json).toBe(e.json);
  });
});

describe('negotiateCodec', () => {
  it('defaults to msgpack, honours the client order, refuses foreign subprotocols', () => {
    expect(negotiateCodec(undefined)?.name).toBe('msgpack');
    expect(negotiateCodec('')?.name).toBe('msgpack');
    expect(negotiateCodec('roar.v1.json')?.name).toBe('json');
    expect(negotiateCodec('chat, roar.v1.json, roar.v1.msgpack')?.name).toBe('json');
    expect(negotiateCodec('mqtt')).toBeUndefined();
  });
});

function toBytes(frame: Uint8Array | string): Uint8Array {
  return typeof frame === 'string' ? new TextEncoder().encode(frame) : frame;
}
