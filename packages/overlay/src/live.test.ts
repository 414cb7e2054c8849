import { describe, expect, it } from 'vitest';
import { LiveViewers, type OverlaySocket } from './live.js';
import type { Schedule } from './timing.js';

/** A WebSocket whose server side the test plays; remembers every one made. */
class FakeSocket implements OverlaySocket {
  static made: FakeSocket[] = [];
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  readonly sent: unknown[] = [];
  closed = false;
  constructor(
    readonly url: string,
    readonly protocol: string,
  ) {
    FakeSocket.made.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.closed = true;
  }
  push(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

function live(stream = 's') {
  FakeSocket.made = [];
  const delays: number[] = [];
  const timers: (() => void)[] = [];
  const schedule: Schedule = (callback, delayMs) => {
    delays.push(delayMs);
    timers.push(callback);
    return () => undefined;
  };
  const counts: number[] = [];
  let refused = 0;
  let waiting = 0;
  const viewers = new LiveViewers({
    url: 'ws://127.0.0.1:1/ws?anon=device-1234',
    stream,
    onCount: (n) => counts.push(n),
    onRefused: () => refused++,
    onWaiting: () => waiting++,
    WebSocket: FakeSocket,
    schedule,
    random: () => 0.5,
  });
  viewers.start();
  return { viewers, counts, delays, timers, refused: () => refused, waiting: () => waiting };
}

describe('LiveViewers', () => {
  it('joins after the welcome and reads counts from joined and batches of its stream only', () => {
    const { counts } = live();
    const ws = FakeSocket.made[0] as FakeSocket;
    expect(ws.protocol).toBe('roar.v1.json');
    ws.push({ type: 'welcome', v: 1, session: 'x', user: null, maxStreams: 10 });
    expect(ws.sent).toEqual([{ type: 'join', ref: 1, stream: 's' }]);
    ws.push({ type: 'joined', ref: 1, stream: 's', viewers: { total: 5, text: '5 watching' } });
    ws.push({ type: 'batch', stream: 'other', events: [{ type: 'viewers', total: 99 }] });
    ws.push({
      type: 'batch',
      stream: 's',
      events: [
        { type: 'chat', text: 'hi' },
        { type: 'viewers', total: 6, text: '6 watching' },
      ],
    });
    expect(counts).toEqual([5, 6]);
  });

  it('reconnects with jittered backoff plus the delay the server asked for', () => {
    const { delays, timers } = live();
    const first = FakeSocket.made[0] as FakeSocket;
    first.push({ type: 'reconnect', delayMs: 2000, reason: 'draining' });
    first.onclose?.({ code: 4000 });
    first.onclose?.({ code: 4000 }); // a stale second close changes nothing
    expect(delays).toEqual([2250]);
    timers[0]?.();
    (FakeSocket.made[1] as FakeSocket).onclose?.({ code: 1006 });
    expect(delays).toEqual([2250, 500]);
  });

  it('gives up on live for a do-not-reconnect close or a refused join, so the element polls', () => {
    const a = live();
    (FakeSocket.made[0] as FakeSocket).onclose?.({ code: 4501 });
    expect(a.refused()).toBe(1);
    expect(a.delays).toEqual([]);
    const b = live('s');
    const ws = FakeSocket.made[0] as FakeSocket;
    ws.push({ type: 'error', ref: 1, code: 'too_many_streams', message: 'no' });
    expect(b.refused()).toBe(1);
    expect(ws.closed).toBe(true);
  });

  it('says it is waiting (the element polls meanwhile) on every retried close, not on a refusal', () => {
    const { waiting, refused, timers } = live();
    // A refused upgrade in a storm: the browser sees 1006 before any welcome.
    (FakeSocket.made[0] as FakeSocket).onclose?.({ code: 1006 });
    expect(waiting()).toBe(1);
    timers.shift()?.();
    (FakeSocket.made[1] as FakeSocket).onclose?.({ code: 1006 });
    expect(waiting()).toBe(2);
    timers.shift()?.();
    (FakeSocket.made[2] as FakeSocket).onclose?.({ code: 4501 });
    expect(waiting()).toBe(2);
    expect(refused()).toBe(1);
  });
});
