import { describe, expect, it } from 'vitest';
import { ViewersPoller, type ViewersFetch, type ViewersResponse } from './poll.js';
import type { Schedule } from './timing.js';

type Reply = { status: number; etag?: string; body?: unknown } | Error;

/** A count endpoint that answers from a script and records each request's headers. */
function endpoint(replies: Reply[]) {
  const requests: Record<string, string>[] = [];
  const modes: (string | undefined)[] = [];
  const fetch: ViewersFetch = async (_url, init) => {
    requests.push(init.headers);
    modes.push(init.cache);
    const reply = replies.shift();
    if (!reply) throw new Error('no more replies scripted');
    if (reply instanceof Error) throw reply;
    const res: ViewersResponse = {
      status: reply.status,
      headers: { get: (name) => (name === 'etag' ? (reply.etag ?? null) : null) },
      json: async () => reply.body,
    };
    return res;
  };
  return { fetch, requests, modes };
}

/** A scheduler that runs nothing by itself: the test fires the next timer and sees its delay. */
function manualTimers() {
  const pending: { callback: () => void; delayMs: number; cancelled: boolean }[] = [];
  const schedule: Schedule = (callback, delayMs) => {
    const timer = { callback, delayMs, cancelled: false };
    pending.push(timer);
    return () => void (timer.cancelled = true);
  };
  return {
    schedule,
    delays: () => pending.map((t) => t.delayMs),
    live: () => pending.filter((t) => !t.cancelled).length,
    /** Fires the oldest live timer. */
    fire(): void {
      const next = pending.find((t) => !t.cancelled);
      if (!next) throw new Error('no timer pending');
      next.cancelled = true;
      next.callback();
    },
  };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const url = 'http://127.0.0.1:1/v1/streams/s/viewers';

describe('ViewersPoller', () => {
  it('sends the last ETag back, reports 200s and treats a 304 as no change', async () => {
    const counts: number[] = [];
    const { fetch, requests } = endpoint([
      { status: 200, etag: '"a"', body: { stream: 's', total: 10, text: '10 watching' } },
      { status: 304 },
      { status: 200, etag: '"b"', body: { stream: 's', total: 12, text: '12 watching' } },
    ]);
    const poller = new ViewersPoller({
      url,
      intervalMs: 5000,
      onCount: (n) => counts.push(n),
      fetch,
    });
    expect(await poller.poll()).toBe(5000);
    expect(await poller.poll()).toBe(5000);
    expect(await poller.poll()).toBe(5000);
    expect(requests).toEqual([{}, { 'if-none-match': '"a"' }, { 'if-none-match': '"a"' }]);
    expect(counts).toEqual([10, 12]);
  });

  it('leaves revalidation to the browser cache for a cross-origin count (no preflight)', async () => {
    const counts: number[] = [];
    const { fetch, requests, modes } = endpoint([
      { status: 200, etag: '"a"', body: { total: 7 } },
      // The browser turns a 304 into its stored 200: the same body again.
      { status: 200, etag: '"a"', body: { total: 7 } },
    ]);
    const poller = new ViewersPoller({
      url,
      intervalMs: 5000,
      onCount: (n) => counts.push(n),
      fetch,
      revalidation: 'browser',
    });
    await poller.poll();
    await poller.poll();
    expect(requests).toEqual([{}, {}]);
    expect(modes).toEqual(['no-cache', 'no-cache']);
    expect(counts).toEqual([7, 7]);
  });

  it('backs off with jitter while the endpoint fails, and recovers', async () => {
    const { fetch } = endpoint([
      new TypeError('network down'),
      { status: 503 },
      { status: 200, body: { nope: true } },
      { status: 200, etag: '"c"', body: { total: 3 } },
      { status: 304 },
    ]);
    const counts: number[] = [];
    const poller = new ViewersPoller({
      url,
      intervalMs: 1000,
      onCount: (n) => counts.push(n),
      fetch,
      random: () => 0.5,
    });
    const delays = [];
    for (let i = 0; i < 5; i++) delays.push(await poller.poll());
    // interval + random·min(60 s, interval·2^errors)
    expect(delays).toEqual([2000, 3000, 5000, 1000, 1000]);
    expect(counts).toEqual([3]);
  });

  it('polls on its own schedule, and nothing is reported or scheduled after stop()', async () => {
    const timers = manualTimers();
    const counts: number[] = [];
    const { fetch, requests } = endpoint([
      { status: 200, etag: '"1"', body: { total: 1 } },
      { status: 200, etag: '"2"', body: { total: 2 } },
      { status: 200, etag: '"3"', body: { total: 3 } },
    ]);
    const poller = new ViewersPoller({
      url,
      intervalMs: 5000,
      onCount: (n) => counts.push(n),
      fetch,
      schedule: timers.schedule,
    });
    poller.start();
    poller.start(); // already running: no second loop
    await settle();
    expect(counts).toEqual([1]);
    expect(timers.delays()).toEqual([5000]);
    timers.fire();
    await settle();
    expect(counts).toEqual([1, 2]);
    timers.fire();
    poller.stop(); // while the third poll is in flight
    await settle();
    expect(requests).toHaveLength(3);
    expect(counts).toEqual([1, 2]);
    expect(timers.live()).toBe(0);
  });
});
