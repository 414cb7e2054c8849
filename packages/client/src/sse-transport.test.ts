import { clientCodecs } from '@roar/protocol';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeEventSource, FakeFetch } from '../test/fake-event-source.js';
import { settle } from '../test/fakes.js';
import { describeTransportContract, type TransportFixture } from '../test/transport-contract.js';
import { SseTransport, eventStreamBase } from './sse-transport.js';
import type { ConnectRequest, TransportListener } from './transport.js';

function request(fields: Partial<ConnectRequest> = {}): ConnectRequest {
  return {
    url: 'wss://roar.test/ws',
    codec: clientCodecs.json,
    token: undefined,
    anonId: 'device-1234',
    ...fields,
  };
}

/** Records what the transport tells the client. */
function recorder() {
  const log: string[] = [];
  const frames: string[] = [];
  const listener: TransportListener = {
    open: () => log.push('open'),
    message: (data) => {
      log.push('message');
      if (typeof data === 'string') frames.push(data);
    },
    close: (code, reason) => log.push(`close ${code} ${reason}`),
  };
  return { log, frames, listener };
}

function opened(fields: Partial<ConnectRequest> = {}) {
  const net = new FakeFetch();
  const transport = new SseTransport({ EventSource: FakeEventSource, fetch: net.fetch });
  const rec = recorder();
  transport.open(request(fields), rec.listener);
  return { net, transport, ...rec, source: FakeEventSource.last };
}

beforeEach(() => FakeEventSource.reset());

describe('SseTransport', () => {
  it('opens the event stream beside the WebSocket endpoint, with the identity in the query', () => {
    expect(eventStreamBase('wss://roar.test/ws')).toBe('https://roar.test/v1/sse');
    expect(eventStreamBase('ws://127.0.0.1:8080/chat/ws?x=1')).toBe(
      'http://127.0.0.1:8080/chat/v1/sse',
    );
    expect(opened().source.url).toBe('https://roar.test/v1/sse?anon=device-1234');
    expect(opened({ token: 'jwt.a.b' }).source.url).toBe('https://roar.test/v1/sse?token=jwt.a.b');
  });

  it('delivers data frames in order and posts frames with the session and key it was given', async () => {
    const { net, transport, source, log, frames } = opened();
    expect(transport.fixedCodec).toBe(clientCodecs.json);
    expect(transport.send('{"type":"ping"}')).toBe(false); // no session yet
    source.welcome('s/1', 'k+y');
    source.push({ type: 'status', level: 2, text: 'x' });
    expect(log).toEqual(['open', 'message', 'message']);
    expect(JSON.parse(frames[1] ?? '')).toMatchObject({ type: 'status' });
    expect(transport.send('{"type":"ping","ref":1}')).toBe(true);
    expect(net.posts).toHaveLength(1);
    expect(net.posts[0]).toMatchObject({
      url: 'https://roar.test/v1/sse/s%2F1?key=k%2By',
      body: '{"type":"ping","ref":1}',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
    });
  });

  it('posts one frame at a time, so the server sees them in the order they were sent', async () => {
    const { net, transport, source } = opened();
    source.welcome();
    for (const ref of [1, 2, 3]) expect(transport.send(`{"ref":${ref}}`)).toBe(true);
    expect(net.posts.map((p) => p.body)).toEqual(['{"ref":1}']);
    net.posts[0]?.respond();
    await settle();
    expect(net.posts.map((p) => p.body)).toEqual(['{"ref":1}', '{"ref":2}']);
    net.posts[1]?.respond();
    await settle();
    net.posts[2]?.respond();
    await settle();
    expect(net.posts.map((p) => p.body)).toEqual(['{"ref":1}', '{"ref":2}', '{"ref":3}']);
  });

  it('refuses frames past its queue limit, and binary frames it cannot carry', () => {
    const net = new FakeFetch();
    const transport = new SseTransport({
      EventSource: FakeEventSource,
      fetch: net.fetch,
      maxQueued: 2,
    });
    transport.open(request(), recorder().listener);
    FakeEventSource.last.welcome();
    expect(transport.send('1')).toBe(true); // posting
    expect(transport.send('2')).toBe(true); // queued
    expect(transport.send('3')).toBe(true); // queued
    expect(transport.send('4')).toBe(false);
    expect(transport.send(new Uint8Array([1]))).toBe(false);
  });

  it("ends with the server's close code and closes the EventSource so it cannot retry", () => {
    const { source, log } = opened();
    source.welcome();
    source.fire('close', JSON.stringify({ code: 4000, reason: 'server restarting' }));
    source.fire('error');
    expect(source.closed).toBe(true);
    expect(log.filter((l) => l.startsWith('close'))).toEqual(['close 4000 server restarting']);
  });

  it('ends with 1006 when the stream errors, or a close event is malformed', () => {
    const a = opened();
    a.source.fire('error');
    expect(a.log).toEqual(['close 1006 the event stream failed']);
    expect(a.source.closed).toBe(true);
    const b = opened();
    b.source.welcome();
    b.source.fire('close', 'not json');
    expect(b.log.at(-1)).toBe('close 1006 the event stream closed');
  });

  it('ends with 1006 when a post is refused or fails, and drops what was queued', async () => {
    const a = opened();
    a.source.welcome();
    a.transport.send('1');
    a.transport.send('2');
    a.net.posts[0]?.respond(404);
    await settle();
    expect(a.log.at(-1)).toBe('close 1006 the server refused a frame (404)');
    expect(a.net.posts).toHaveLength(1);
    expect(a.source.closed).toBe(true);
    expect(a.transport.send('3')).toBe(false);

    const b = opened();
    b.source.welcome();
    b.transport.send('1');
    b.net.posts[0]?.fail();
    await settle();
    expect(b.log.at(-1)).toBe('close 1006 network error');
  });

  it('ignores a post that fails after the client closed it', async () => {
    const { transport, source, log, net } = opened();
    source.welcome();
    transport.send('1');
    transport.close(1000, 'client closed');
    expect(source.closed).toBe(true);
    net.posts[0]?.fail();
    await settle();
    source.fire('message', '{"type":"pong","ts":1}');
    expect(log).toEqual(['open', 'message']);
  });
});

describeTransportContract('SseTransport', (): TransportFixture => {
  FakeEventSource.reset();
  const net = new FakeFetch();
  const transport = new SseTransport({ EventSource: FakeEventSource, fetch: net.fetch });
  return {
    transport,
    open(listener) {
      const made = FakeEventSource.made.length;
      transport.open(request(), listener);
      const source = FakeEventSource.made[made];
      if (!source) return undefined;
      return {
        accept() {
          source.fire('open');
          source.fire('session', JSON.stringify({ session: 's-1', key: 'k-1' }));
        },
        push: (frame) => source.fire('message', frame),
        end: (code, reason) => source.fire('close', JSON.stringify({ code, reason })),
        drop: () => source.fire('error'),
        async received() {
          // Each post is answered before the next is made (one at a time, in order).
          for (let i = 0; i < net.posts.length; i++) {
            net.posts[i]?.respond();
            await settle();
          }
          return net.posts.map((post) => post.body);
        },
        closedByClient: () => source.closed,
      };
    },
    failNextDial: () => void (FakeEventSource.failNext = true),
    settle,
  };
});
