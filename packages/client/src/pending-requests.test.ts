import { describe, expect, it } from 'vitest';
import { FakeClock } from '../test/fakes.js';
import { RoarClientError } from './errors.js';
import { PendingRequests } from './pending-requests.js';

describe('PendingRequests', () => {
  it('resolves a request with the reply of its type', async () => {
    const requests = new PendingRequests(new FakeClock(), 1000, 10);
    const { ref, reply } = requests.start('chat');
    expect(requests.settle({ type: 'ack', ref, id: 'x', ts: 1 })).toBe(true);
    await expect(reply).resolves.toEqual({ type: 'ack', ref, id: 'x', ts: 1 });
    expect(requests.size).toBe(0);
  });

  it('rejects with the server error, keeping its code and retryAfterMs', async () => {
    const requests = new PendingRequests(new FakeClock(), 1000, 10);
    const { ref, reply } = requests.start('chat');
    requests.settle({
      type: 'error',
      ref,
      code: 'rate_limited',
      message: 'slow down',
      retryAfterMs: 700,
    });
    await expect(reply).rejects.toMatchObject({ code: 'rate_limited', retryAfterMs: 700 });
  });

  it('rejects a reply of the wrong type as bad_frame', async () => {
    const requests = new PendingRequests(new FakeClock(), 1000, 10);
    const { ref, reply } = requests.start('ping');
    requests.settle({ type: 'ack', ref });
    await expect(reply).rejects.toMatchObject({ code: 'bad_frame' });
  });

  it('times out, and ignores the reply that comes too late', async () => {
    const clock = new FakeClock();
    const requests = new PendingRequests(clock, 1000, 10);
    const { ref, reply } = requests.start('ping');
    clock.advance(999);
    expect(requests.size).toBe(1);
    clock.advance(1);
    await expect(reply).rejects.toMatchObject({ code: 'timeout' });
    expect(requests.settle({ type: 'pong', ref, ts: 1 })).toBe(false);
  });

  it('numbers refs upwards and wraps after 2^32 - 1 to 0', () => {
    const requests = new PendingRequests(new FakeClock(), 1000, 10, 0xffff_fffe);
    const refs: number[] = [];
    for (let i = 0; i < 4; i++) {
      const { ref } = requests.start('ping');
      refs.push(ref);
      requests.settle({ type: 'pong', ref, ts: 0 });
    }
    expect(refs).toEqual([0xffff_fffe, 0xffff_ffff, 0, 1]);
  });

  it('refuses more than max waiting requests', () => {
    const requests = new PendingRequests(new FakeClock(), 1000, 2);
    requests.start('ping');
    requests.start('ping');
    expect(() => requests.start('ping')).toThrow(RoarClientError);
  });

  it('rejectAll settles every waiting request with the given error', async () => {
    const requests = new PendingRequests(new FakeClock(), 1000, 10);
    const a = requests.start('chat');
    const b = requests.start('join');
    requests.rejectAll(new RoarClientError('disconnected', 'gone'));
    await expect(a.reply).rejects.toMatchObject({ code: 'disconnected' });
    await expect(b.reply).rejects.toMatchObject({ code: 'disconnected' });
    expect(requests.size).toBe(0);
  });
});
