import { waitFor } from '@roar/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogAppend } from './events.js';
import type { EventLog, LogRetention } from './log.js';

/** A fresh log (own prefix) per test, and the means to break it. */
export interface LogFixture {
  log: EventLog;
  /** Another log over the same store with this retention (a fresh prefix). */
  withRetention(retention: LogRetention): Promise<EventLog>;
  /** Takes the store down and brings it back, when the implementation has one to break. */
  outage?: { stop(): Promise<void>; start(): Promise<void> };
  dispose(): Promise<void>;
}

let n = 0;
const chat = (id: string, ts: number, text = `text ${id}`): LogAppend => ({
  type: 'chat.published',
  id,
  ts,
  data: { id, user: { id: 'u1', name: 'Ann' }, text },
});

/**
 * The behaviour every `EventLog` promises (see its doc comment). Run once per implementation with
 * a factory of fresh fixtures.
 */
export function describeLogContract(name: string, factory: () => Promise<LogFixture>): void {
  describe(`EventLog contract: ${name}`, () => {
    let fx: LogFixture;
    let s: string;

    beforeEach(async () => {
      fx = await factory();
      s = `s${Date.now().toString(36)}${(n++).toString(36)}`;
    });
    afterEach(async () => {
      await fx.dispose();
    });

    it('stores appended events in order, enveloped, with increasing seq', async () => {
      const t = Date.now();
      expect(fx.log.append(s, chat('m1', t))).toBeUndefined();
      fx.log.append(s, {
        type: 'chat.deleted',
        id: 'd1',
        ts: t + 1,
        data: { id: 'm1', by: 'mod' },
      });
      fx.log.append(s, chat('m2', t + 2, 'second'));
      await fx.log.flush();
      const got = await fx.log.read({ stream: s });
      expect(got.map((e) => [e.v, e.type, e.id, e.stream, e.ts])).toEqual([
        [1, 'chat.published', 'm1', s, t],
        [1, 'chat.deleted', 'd1', s, t + 1],
        [1, 'chat.published', 'm2', s, t + 2],
      ]);
      expect(got[2]!.data).toEqual({ id: 'm2', user: { id: 'u1', name: 'Ann' }, text: 'second' });
      expect(got[0]!.seq).toBeLessThan(got[1]!.seq);
      expect(got[1]!.seq).toBeLessThan(got[2]!.seq);
      expect(fx.log.stats()).toMatchObject({ appended: 3, stored: 3, queued: 0 });
    });

    it('reads one stream, one type, a time window, from a position, up to a limit', async () => {
      const t = Date.now();
      const other = `${s}x`;
      for (let i = 0; i < 10; i++) fx.log.append(s, chat(`a${i}`, t + i * 100));
      fx.log.append(other, chat('b0', t + 50));
      fx.log.append(s, {
        type: 'reactions.burst',
        id: 'r1',
        ts: t + 250,
        data: { counts: { '🔥': 3 }, windowMs: 500 },
      });
      await fx.log.flush();
      const ids = async (q: Parameters<EventLog['read']>[0]): Promise<string[]> =>
        (await fx.log.read(q)).map((e) => e.id);
      expect(await ids({ stream: other })).toEqual(['b0']);
      expect(await ids({ stream: s, type: 'reactions.burst' })).toEqual(['r1']);
      expect(await ids({ stream: s, fromTs: t + 200, toTs: t + 500 })).toEqual([
        'a2',
        'a3',
        'a4',
        'r1',
      ]);
      const all = await fx.log.read({ stream: s });
      expect(await ids({ stream: s, fromSeq: all[7]!.seq })).toEqual(['a7', 'a8', 'a9', 'r1']);
      expect(await ids({ stream: s, limit: 2 })).toEqual(['a0', 'a1']);
      // Without a stream: every stream's events in seq order (the export path).
      const everything = await fx.log.read({ fromSeq: all[0]!.seq });
      expect(everything.map((e) => e.id)).toContain('b0');
      const seqs = everything.map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(await ids({ stream: `${s}none` })).toEqual([]);
    });

    it('stores an id appended twice once (idempotent retries)', async () => {
      const t = Date.now();
      fx.log.append(s, chat('same', t));
      fx.log.append(s, chat('same', t));
      fx.log.append(s, chat('next', t + 1));
      await fx.log.flush();
      expect((await fx.log.read({ stream: s })).map((e) => e.id)).toEqual(['same', 'next']);
    });

    it('keeps many events from one appender in append order', async () => {
      const t = Date.now();
      for (let i = 0; i < 500; i++) fx.log.append(s, chat(`m${i}`, t + i));
      await fx.log.flush();
      const got = await fx.log.read({ stream: s });
      expect(got.map((e) => e.id)).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    });

    it('drops events past the retention age', async () => {
      const log = await fx.withRetention({ maxAgeMs: 1000, maxBytes: 1 << 20 });
      const t = Date.now();
      log.append(s, chat('old', t));
      await log.flush();
      expect((await log.read({ stream: s })).map((e) => e.id)).toEqual(['old']);
      await waitFor(async () => (await log.read({ stream: s })).length === 0, {
        timeoutMs: 10_000,
        intervalMs: 200,
        message: 'the old event expired',
      });
    });

    it('counts appends after close as dropped, without throwing', async () => {
      await fx.log.close();
      expect(() => fx.log.append(s, chat('late', Date.now()))).not.toThrow();
      expect(fx.log.stats().dropped.closed).toBe(1);
    });

    it('degrades to counting drops while its store is down, and stores again after', async (ctx) => {
      if (!fx.outage) return ctx.skip();
      const t = Date.now();
      fx.log.append(s, chat('before', t));
      await fx.log.flush();
      await fx.outage.stop();
      await waitFor(() => !fx.log.connected, { timeoutMs: 10_000, message: 'log disconnected' });
      const started = performance.now();
      for (let i = 0; i < 20; i++) fx.log.append(s, chat(`lost${i}`, t + 1 + i));
      // Appending while down costs the caller nothing to wait for.
      expect(performance.now() - started).toBeLessThan(50);
      await fx.log.flush();
      expect(fx.log.stats().dropped.unavailable).toBe(20);
      await expect(fx.log.read({ stream: s })).rejects.toThrow();
      await fx.outage.start();
      await waitFor(() => fx.log.connected, { timeoutMs: 15_000, message: 'log reconnected' });
      fx.log.append(s, chat('after', t + 100));
      await fx.log.flush();
      await waitFor(async () => (await fx.log.read({ stream: s })).some((e) => e.id === 'after'), {
        timeoutMs: 10_000,
        message: 'stored after the outage',
      });
      expect((await fx.log.read({ stream: s })).map((e) => e.id)).toEqual(['before', 'after']);
    });
  });
}
