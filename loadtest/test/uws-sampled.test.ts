import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

// The chat storm's floor (servers/uws-sampled.mjs) must show a viewer what Roar shows, no more
// and no less, or the floor it measures is not Roar's: one frame per tick with the stream's chat
// in order, news after a quiet moment at once, at most the budget a second, and frames at most
// every storm tick while it samples.
const SERVER = fileURLToPath(new URL('../bench/servers/uws-sampled.mjs', import.meta.url));
const BUDGET = 25;
const STORM_TICK_MS = 500;

let server: ChildProcess;
let port: number;

beforeAll(async () => {
  server = spawn(process.execPath, [SERVER], {
    env: { ...process.env, PORT: '0', ROAR_CHAT_BUDGET: String(BUDGET) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(server.stdout!, 'data')) as [Buffer];
  port = (JSON.parse(line.toString()) as { port: number }).port;
});

afterAll(() => {
  server.kill();
});

async function open(stream: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  await once(ws, 'open');
  ws.send(JSON.stringify({ type: 'join', stream }));
  const [data] = (await once(ws, 'message')) as [Buffer];
  expect(JSON.parse(data.toString())).toEqual({ type: 'joined', stream });
  return ws;
}

interface Frame {
  at: number;
  seqs: number[];
}

function record(ws: WebSocket): Frame[] {
  const frames: Frame[] = [];
  ws.on('message', (data: Buffer) => {
    const events = JSON.parse(data.toString()) as { type: string; id: string }[];
    expect(Array.isArray(events)).toBe(true);
    for (const e of events) expect(e.type).toBe('chat');
    frames.push({ at: performance.now(), seqs: events.map((e) => Number(e.id)) });
  });
  return frames;
}

const chat = (ws: WebSocket, stream: string, seq: number) =>
  ws.send(JSON.stringify({ type: 'chat', stream, event: { type: 'chat', id: String(seq) } }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('bench floor: bare uWS with Roar budget and ticks', () => {
  it('sends news after a quiet moment at once, one message a frame', async () => {
    const viewer = await open('quiet');
    const sender = await open('quiet');
    const frames = record(viewer);
    const sent = performance.now();
    chat(sender, 'quiet', 1);
    await sleep(300);
    chat(sender, 'quiet', 2);
    await sleep(300);
    expect(frames.map((f) => f.seqs)).toEqual([[1], [2]]);
    expect(frames[0]!.at - sent).toBeLessThan(40);
    viewer.close();
    sender.close();
  });

  it('samples a storm to the budget, in order, in frames a storm tick apart', async () => {
    const viewer = await open('storm');
    const sender = await open('storm');
    const frames = record(viewer);
    const start = performance.now();
    // 200 messages a second for 3 s, 8 times the budget.
    for (let seq = 0; seq < 600; seq++) {
      chat(sender, 'storm', seq);
      if (seq % 10 === 9) await sleep(50);
    }
    const seconds = (performance.now() - start) / 1000;
    await sleep(STORM_TICK_MS + 200);
    const seqs = frames.flatMap((f) => f.seqs);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
    // The budget a second until the last frame, and a second's burst, never more; most of it used.
    const until = (frames.at(-1)!.at - start) / 1000;
    expect(seqs.length).toBeLessThanOrEqual(Math.ceil(BUDGET * (until + 1)) + 1);
    expect(seqs.length).toBeGreaterThan(BUDGET * seconds * 0.7);
    // Past the first few frames, frames come a storm tick apart (timers fire late, never early).
    const gaps = frames.slice(4).map((f, i) => f.at - frames[i + 3]!.at);
    expect(gaps.length).toBeGreaterThan(3);
    for (const gap of gaps) expect(gap).toBeGreaterThan(STORM_TICK_MS - 20);
    expect(frames.length).toBeLessThanOrEqual(Math.ceil(seconds * (1000 / STORM_TICK_MS)) + 5);
    viewer.close();
    sender.close();
  });
});
