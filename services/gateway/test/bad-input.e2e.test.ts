import { CloseCode, ErrorCode, pack } from '@roar/protocol';
import { TestClient } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import {
  MAX_BAD_FRAMES,
  MAX_FLOOD_DROPS,
  MAX_PAYLOAD_CUT_FACTOR,
} from '../src/connection/frame-check.js';
import { startServer, type TestServer } from './harness.js';

/** A bystander chats and watches; after the abuse its service must be unchanged. */
async function bystanderStillServed(server: TestServer, stream: string): Promise<void> {
  const b = await server.viewer(stream, {
    user: `bystander-${Math.random().toString(36).slice(2, 8)}`,
  });
  const ack = await b.request({ type: 'chat', stream, text: 'still here' });
  expect(ack.type).toBe('ack');
  await b.waitForMessage(
    () => b.eventsOf(stream, 'chat').some((e) => e.text === 'still here'),
    3000,
    'own chat',
  );
  const health = await fetch(`${server.httpUrl}/healthz`);
  expect(health.status).toBe(200);
}

describe('bad input', () => {
  it('answers malformed frames, unknown types and wrong fields with typed errors', async () => {
    await using server = await startServer();
    for (const codec of ['msgpack', 'json'] as const) {
      const c = await server.viewer('bad', { user: `u-${codec}`, codec });
      const cases: [Uint8Array | string, string][] = [
        [codec === 'json' ? '{not json' : new Uint8Array([0xc1]), ErrorCode.BadFrame],
        [codec === 'json' ? '[1,2]' : pack([1, 2]), ErrorCode.BadFrame],
        [
          codec === 'json' ? '{"type":"hack","ref":5}' : pack({ type: 'hack', ref: 5 }),
          ErrorCode.UnknownType,
        ],
        [
          codec === 'json'
            ? '{"type":"chat","ref":6,"stream":"bad","text":7}'
            : pack({ type: 'chat', ref: 6, stream: 'bad', text: 7 }),
          ErrorCode.InvalidField,
        ],
        [
          codec === 'json' ? '{"type":"ping","extra":1}' : pack({ type: 'ping', extra: 1 }),
          ErrorCode.InvalidField,
        ],
        [
          codec === 'json'
            ? '{"type":"join","stream":"a.b"}'
            : pack({ type: 'join', stream: 'a.b' }),
          ErrorCode.InvalidStream,
        ],
      ];
      for (const [frame, code] of cases) {
        const before = c.messages.length;
        c.sendRaw(frame, typeof frame !== 'string');
        const reply = await c.waitForMessage(
          (m) => c.messages.indexOf(m) >= before && m.type === 'error',
          3000,
          `error for ${String(frame)}`,
        );
        expect(reply).toMatchObject({ type: 'error', code });
      }
      expect(c.isOpen).toBe(true);
    }
    await bystanderStillServed(server, 'bad');
  });

  it('reports invalid UTF-8: typed error in msgpack strings and JSON binary frames; drops text frames', async () => {
    await using server = await startServer();
    const m = await server.viewer('utf', { user: 'm' });
    const bytes = Buffer.from(pack({ type: 'chat', ref: 1, stream: 'utf', text: 'ab' }));
    bytes[bytes.length - 2] = 0xff;
    m.sendRaw(bytes);
    expect(await m.waitForMessage((x) => x.type === 'error')).toMatchObject({
      code: ErrorCode.InvalidUtf8,
      ref: 1,
    });

    const j = await server.viewer('utf', { user: 'j', codec: 'json' });
    j.sendRaw(new Uint8Array([0x7b, 0xff, 0x7d]), true);
    expect(await j.waitForMessage((x) => x.type === 'error')).toMatchObject({
      code: ErrorCode.InvalidUtf8,
    });

    // A text frame with invalid UTF-8 breaks RFC 6455 itself: the WebSocket layer drops it.
    const raw = await server.viewer('utf', { user: 'raw', codec: 'json' });
    raw.socket.send(Buffer.from([0x7b, 0xff, 0x7d]), { binary: false });
    expect((await raw.closed).code).toBe(1006);
    await bystanderStillServed(server, 'utf');
  });

  it('answers an oversize frame with frame_too_large, and drops a connection sending a huge one', async () => {
    await using server = await startServer({ ROAR_MAX_PAYLOAD_BYTES: '1024' });
    const c = await server.viewer('big', { user: 'big' });
    c.sendRaw(pack({ type: 'chat', ref: 3, stream: 'big', text: 'x'.repeat(2000) }));
    expect(await c.waitForMessage((m) => m.type === 'error')).toMatchObject({
      code: ErrorCode.FrameTooLarge,
    });
    expect(c.isOpen).toBe(true);
    c.sendRaw(new Uint8Array(1024 * MAX_PAYLOAD_CUT_FACTOR + 1));
    expect((await c.closed).code).toBe(1006);
    await bystanderStillServed(server, 'big');
  });

  it('limits streams per connection and rejects double joins and unknown leaves', async () => {
    await using server = await startServer({ ROAR_MAX_STREAMS_PER_CONNECTION: '2' });
    const c = await server.connect({ user: 'many' });
    expect((await c.request({ type: 'join', stream: 's1' })).type).toBe('joined');
    expect(await c.request({ type: 'join', stream: 's1' })).toMatchObject({
      code: ErrorCode.AlreadyJoined,
    });
    expect((await c.request({ type: 'join', stream: 's2' })).type).toBe('joined');
    expect(await c.request({ type: 'join', stream: 's3' })).toMatchObject({
      code: ErrorCode.TooManyStreams,
    });
    expect(await c.request({ type: 'leave', stream: 's9' })).toMatchObject({
      code: ErrorCode.NotJoined,
    });
    expect(server.embedded.gateway.registry.get('s3')).toBeUndefined();
  });

  it('answers a frame flood with one flood error, then closes with 4003; others are unaffected', async () => {
    await using server = await startServer({ ROAR_FRAME_RATE: '5', ROAR_FRAME_BURST: '5' });
    const flooder = await server.viewer('flood', { user: 'flooder' });
    for (let i = 0; i < MAX_FLOOD_DROPS + 20; i++) flooder.send({ type: 'ping' });
    const closed = await flooder.closed;
    expect(closed.code).toBe(CloseCode.Flood);
    expect(
      flooder.messages.filter((m) => m.type === 'error' && m.code === ErrorCode.Flood),
    ).toHaveLength(1);
    await bystanderStillServed(server, 'flood');
  });

  it('floods chat: rate-limited errors, nothing beyond the burst delivered', async () => {
    await using server = await startServer({ ROAR_FRAME_RATE: '1000', ROAR_FRAME_BURST: '1000' });
    const spammer = await server.viewer('spam', { user: 'spammer' });
    const watcher = await server.viewer('spam', { user: 'watcher' });
    for (let i = 0; i < 200; i++)
      spammer.send({ type: 'chat', ref: i + 1, stream: 'spam', text: `spam ${i}` });
    await spammer.waitForMessage(
      () =>
        spammer.messages.filter((m) => 'ref' in m && m.ref !== undefined && m.type !== 'joined')
          .length === 200,
      5000,
      '200 replies',
    );
    const acks = spammer.messages.filter((m) => m.type === 'ack').length;
    expect(acks).toBe(3);
    await watcher.waitForMessage(
      () => watcher.eventsOf('spam', 'chat').length === 3,
      3000,
      'three delivered',
    );
    expect(spammer.isOpen).toBe(true);
    await bystanderStillServed(server, 'spam');
  });

  it('closes a client that keeps sending garbage with 4500', async () => {
    await using server = await startServer();
    const c = await server.viewer('junk', { user: 'junk' });
    for (let i = 0; i <= MAX_BAD_FRAMES; i++) c.sendRaw(new Uint8Array([0xc1]));
    expect((await c.closed).code).toBe(CloseCode.ProtocolViolation);
    await bystanderStillServed(server, 'junk');
  });

  it('refuses an upgrade offering no Roar subprotocol with 400', async () => {
    await using server = await startServer();
    await expect(TestClient.connect(server.wsUrl, { protocols: ['mqtt'] })).rejects.toThrow(
      /HTTP 400/,
    );
    const ok = await TestClient.connect(server.wsUrl, { protocols: [] });
    expect(await ok.waitForMessage((m) => m.type === 'welcome')).toMatchObject({ type: 'welcome' });
    expect(ok.socket.protocol).toBe('');
  });
});
