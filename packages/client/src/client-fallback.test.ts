import { beforeEach, describe, expect, it } from 'vitest';
import { FakeEventSource, FakeFetch } from '../test/fake-event-source.js';
import { FakeClock, settle } from '../test/fakes.js';
import { record } from '../test/client-harness.js';
import { memoryStorage } from './anon-id.js';
import { RoarClient } from './index.js';
import type { RoarClientOptions } from './options.js';
import type { WebSocketLike } from './websocket-transport.js';

/** A WebSocket that a proxy refuses: every constructor call throws. */
class BlockedWebSocket implements WebSocketLike {
  static attempts = 0;
  binaryType = 'blob';
  readonly readyState = 3;
  constructor() {
    BlockedWebSocket.attempts++;
    throw new Error('WebSocket is blocked here');
  }
  addEventListener(): void {}
  send(): void {}
  close(): void {}
}

function fallbackClient(options: Partial<RoarClientOptions> = {}) {
  const clock = new FakeClock();
  const net = new FakeFetch();
  const client = new RoarClient({
    url: 'wss://roar.test/ws',
    WebSocket: BlockedWebSocket,
    EventSource: FakeEventSource,
    fetch: net.fetch,
    fallbackAfter: 2,
    // Not this file's subject: dials fail before any welcome, which would ask for a place.
    admission: false,
    clock,
    random: () => 0.5,
    storage: memoryStorage(),
    token: 'jwt',
    ...options,
  });
  const seen = record(client);
  /** Lets the pending reconnect timer fire. */
  const redial = async (): Promise<void> => {
    clock.advance(seen.status.at(-1)?.delayMs ?? 0);
    await settle();
  };
  return { client, clock, net, seen, redial };
}

beforeEach(() => {
  FakeEventSource.reset();
  BlockedWebSocket.attempts = 0;
});

describe('RoarClient fallback to server-sent events', () => {
  it('moves to the event stream after failed WebSocket dials, and chats over JSON there', async () => {
    const { client, net, seen, redial } = fallbackClient({ codec: 'msgpack' });
    const connected = client.connect();
    await settle();
    expect(BlockedWebSocket.attempts).toBe(1);
    await redial();
    expect(BlockedWebSocket.attempts).toBe(2);
    expect(FakeEventSource.made).toHaveLength(0);
    await redial();
    expect(BlockedWebSocket.attempts).toBe(2);
    const source = FakeEventSource.last;
    expect(source.url).toBe('https://roar.test/v1/sse?token=jwt');
    source.welcome('sess-9');
    await connected;
    expect(client.state).toBe('open');
    expect(client.transport).toBe('sse');

    const joining = client.join('final');
    await settle();
    const join = JSON.parse(net.posts[0]?.body ?? '{}') as { ref: number };
    expect(join).toMatchObject({ type: 'join', stream: 'final' });
    expect(net.posts[0]?.url).toBe('https://roar.test/v1/sse/sess-9?key=key-1');
    net.acceptAll();
    source.push({
      type: 'joined',
      ref: join.ref,
      stream: 'final',
      viewers: { total: 2, text: '2 watching' },
      history: [],
      resumed: false,
      gap: false,
      reactions: ['🔥'],
      settings: {},
      pinned: null,
    });
    await joining;
    const sent = client.sendChat('final', 'over the fallback');
    await settle();
    const chat = JSON.parse(net.posts[1]?.body ?? '{}') as { ref: number };
    expect(chat).toMatchObject({ type: 'chat', text: 'over the fallback' });
    source.push({ type: 'ack', ref: chat.ref, id: 'c1', ts: 1 });
    await expect(sent).resolves.toMatchObject({ id: 'c1' });
    source.push({
      type: 'batch',
      stream: 'final',
      events: [
        {
          type: 'chat',
          id: 'c1',
          ts: 1,
          user: { id: 'jwt', name: 'Me' },
          text: 'over the fallback',
        },
        { type: 'viewers', total: 3, text: '3 watching' },
      ],
    });
    expect(seen.chat.map((c) => c.event.text)).toEqual(['over the fallback']);
    expect(seen.viewers.at(-1)?.viewers.total).toBe(3);
  });

  it('reconnects on the event stream when the server closes it, honouring its delay', async () => {
    const { client, seen, redial } = fallbackClient({ transport: 'sse' });
    const connected = client.connect();
    await settle();
    FakeEventSource.last.welcome();
    await connected;
    FakeEventSource.last.push({ type: 'reconnect', delayMs: 3000, reason: 'draining' });
    FakeEventSource.last.fire('close', JSON.stringify({ code: 4000, reason: 'server restarting' }));
    expect(seen.status.at(-1)).toMatchObject({
      state: 'reconnecting',
      closeCode: 4000,
      delayMs: 3250,
    });
    await redial();
    expect(FakeEventSource.made).toHaveLength(2);
    expect(BlockedWebSocket.attempts).toBe(0);
  });

  it('can be forced onto the WebSocket, and refuses sse without an EventSource', () => {
    expect(() => fallbackClient({ transport: 'sse', EventSource: undefined })).toThrow(
      /EventSource/,
    );
    expect(() => fallbackClient({ transport: 'poll' as 'sse' })).toThrow(/transport must be/);
  });
});
