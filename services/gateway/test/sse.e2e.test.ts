import type { ServerMessage } from '@roar/protocol';
import { waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { startServer, token } from './harness.js';

/** A minimal event-stream client: what a browser's EventSource plus fetch would do. */
async function sseClient(base: string, query: string) {
  const messages: ServerMessage[] = [];
  const closes: { code: number; reason: string }[] = [];
  const hello: { session: string; key: string }[] = [];
  const controller = new AbortController();
  const res = await fetch(`${base}/v1/sse?${query}`, { signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done || !value) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (!data) continue;
        if (event === 'session') hello.push(JSON.parse(data) as { session: string; key: string });
        else if (event === 'close')
          closes.push(JSON.parse(data) as { code: number; reason: string });
        else messages.push(JSON.parse(data) as ServerMessage);
      }
    }
  })();
  await waitFor(() => messages.some((m) => m.type === 'welcome'), { message: 'welcome over SSE' });
  const session = (messages.find((m) => m.type === 'welcome') as { session: string }).session;
  // The session event comes before the welcome, to this stream only.
  expect(hello).toHaveLength(1);
  expect(hello[0]?.session).toBe(session);
  const key = hello[0]?.key ?? '';
  let ref = 1;
  return {
    messages,
    closes,
    session,
    key,
    async send(message: Record<string, unknown>): Promise<number> {
      const r = await fetch(`${base}/v1/sse/${session}?key=${key}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ ...message, ref: ref++ }),
      });
      return r.status;
    },
    close: () => controller.abort(),
  };
}

describe('server-sent events fallback', () => {
  it('joins, chats and receives batches like a WebSocket client, in the same stream', async () => {
    await using server = await startServer();
    const ws = await server.viewer('fb', { user: 'ws-user' });
    const sse = await sseClient(server.httpUrl, `token=${await token('sse-user')}`);
    expect(sse.messages[0]).toMatchObject({ type: 'welcome', user: { id: 'sse-user' } });
    expect(await sse.send({ type: 'join', stream: 'fb' })).toBe(202);
    await waitFor(() => sse.messages.some((m) => m.type === 'joined'), {
      message: 'joined over SSE',
    });
    await sse.send({ type: 'chat', stream: 'fb', text: 'from the fallback' });
    await ws.request({ type: 'chat', stream: 'fb', text: 'from a socket' });
    await ws.waitForMessage(
      () => ws.eventsOf('fb', 'chat').length === 2,
      3000,
      'both on the socket',
    );
    const sseChat = (): string[] =>
      sse.messages.flatMap((m) =>
        m.type === 'batch' ? m.events.flatMap((e) => (e.type === 'chat' ? [e.text] : [])) : [],
      );
    await waitFor(() => sseChat().length === 2, { message: 'both on the event stream' });
    expect(sseChat().sort()).toEqual(['from a socket', 'from the fallback']);
    await waitFor(
      () =>
        sse.messages.some(
          (m) => m.type === 'batch' && m.events.some((e) => e.type === 'viewers' && e.total === 2),
        ),
      {
        message: 'the count includes the fallback viewer',
      },
    );
    sse.close();
    await ws.waitForMessage(
      () => ws.eventsOf('fb', 'viewers').at(-1)?.total === 1,
      3000,
      'count after the fallback left',
    );
  });

  it('answers bad frames on the stream and unknown sessions with 404', async () => {
    await using server = await startServer();
    const sse = await sseClient(server.httpUrl, 'anon=device-12345678');
    const r = await fetch(`${server.httpUrl}/v1/sse/${sse.session}?key=${sse.key}`, {
      method: 'POST',
      body: '{nope',
    });
    expect(r.status).toBe(202);
    await waitFor(() => sse.messages.some((m) => m.type === 'error' && m.code === 'bad_frame'), {
      message: 'bad_frame on the stream',
    });
    expect(
      (await fetch(`${server.httpUrl}/v1/sse/not-a-session`, { method: 'POST', body: '{}' }))
        .status,
    ).toBe(404);
    sse.close();
  });

  it("needs the write key only the stream's owner got to post as that session", async () => {
    await using server = await startServer();
    const watcher = await server.viewer('hj', { user: 'watcher' });
    const victim = await sseClient(server.httpUrl, `token=${await token('victim')}`);
    expect(await victim.send({ type: 'join', stream: 'hj' })).toBe(202);
    await waitFor(() => victim.messages.some((m) => m.type === 'joined'), {
      message: 'victim joined',
    });
    // Everything an attacker could know: the session id (it was shown to others before the fix).
    const forged = (suffix: string, frame: object): Promise<Response> =>
      fetch(`${server.httpUrl}/v1/sse/${victim.session}${suffix}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify(frame),
      });
    const chat = { type: 'chat', stream: 'hj', text: 'forged' };
    for (const suffix of ['', '?key=', `?key=${victim.key.slice(0, -1)}A`, `?key=${victim.key}x`]) {
      expect((await forged(suffix, chat)).status, suffix).toBe(404);
    }
    expect((await forged('', { type: 'leave', stream: 'hj' })).status).toBe(404);
    // The owner's own frames still go through, and nothing forged arrived before them.
    expect(await victim.send({ type: 'chat', stream: 'hj', text: 'mine' })).toBe(202);
    await watcher.waitForMessage(
      () => watcher.eventsOf('hj', 'chat').length >= 1,
      5000,
      'the owner chat',
    );
    expect(watcher.eventsOf('hj', 'chat').map((e) => e.text)).toEqual(['mine']);
    expect(victim.messages.some((m) => m.type === 'left')).toBe(false);
    victim.close();
  });

  it('tells the client to reconnect when the gateway drains', async () => {
    const server = await startServer();
    const sse = await sseClient(server.httpUrl, 'anon=device-87654321');
    await server.embedded.stop();
    await waitFor(() => sse.closes.length === 1, { message: 'close event' });
    expect(sse.closes[0]?.code).toBe(4000);
    expect(sse.messages.at(-1)).toMatchObject({ type: 'reconnect' });
  });
});
