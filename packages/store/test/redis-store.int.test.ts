import { randomUUID } from 'node:crypto';
import { RedisServer, waitFor } from '@roar/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisStore,
  GLOBAL_SCOPE,
  type RedisStore,
  StoreUnavailableError,
  type RedisStoreOptions,
} from '../src/index.js';
import {
  CONTRACT_AUDIT_CAPACITY,
  CONTRACT_HELD_CAPACITY,
  CONTRACT_HISTORY_CAPACITY,
  describeStoreContract,
} from '../src/store-contract.js';

let server: RedisServer;
let stores = 0;

/** One call of each moderation method, the held message put before it is taken. */
function moderationCalls(store: RedisStore): Record<string, () => Promise<unknown>> {
  const m = store.moderation;
  const message = { id: 'h1', bytes: new Uint8Array([0, 1]), stream: 'live', at: 1, reason: 'r' };
  return {
    'moderation.putBan': () =>
      m.putBan({ userId: 'u1', scope: 'live', until: null, reason: '', by: 'm', at: 1 }),
    'moderation.removeBan': () => m.removeBan(GLOBAL_SCOPE, 'u1'),
    'moderation.listBans': () => m.listBans('live', Date.now()),
    'moderation.putSettings': () => m.putSettings('live', { slowModeS: 3 }),
    'moderation.getSettings': () => m.getSettings('live'),
    'moderation.setPin': () => m.setPin('live', { id: 'p', bytes: new Uint8Array([1]) }),
    'moderation.getPin': () => m.getPin('live'),
    'moderation.appendAudit': () =>
      m.appendAudit({ at: 1, scope: GLOBAL_SCOPE, actor: 'key:ops', action: 'ban' }),
    'moderation.listAudit': () => m.listAudit(GLOBAL_SCOPE, 10),
    'moderation.hold': () => m.hold(message),
    'moderation.listHeld': () => m.listHeld('live'),
    'moderation.takeHeld': () => m.takeHeld('live', 'h1'),
    'moderation.claimRequest': () => m.claimRequest('req-1', 1000),
    'moderation.generation': () => m.generation('gen-1'),
    'moderation.releaseRequest': () => m.releaseRequest('req-1'),
  };
}

beforeAll(async () => {
  server = await RedisServer.start();
});

afterAll(async () => {
  await server?.[Symbol.asyncDispose]();
});

/** A connected store with a prefix no other test uses. */
async function openStore(options: Partial<RedisStoreOptions> = {}): Promise<RedisStore> {
  const store = createRedisStore({
    url: server.url,
    prefix: `t${process.pid}-${++stores}`,
    historyCapacity: CONTRACT_HISTORY_CAPACITY,
    auditCapacity: CONTRACT_AUDIT_CAPACITY,
    heldCapacity: CONTRACT_HELD_CAPACITY,
    ...options,
  });
  await store.ready();
  return store;
}

/** Every key under `prefix`, read with SCAN by a client of the test's own. */
async function keysUnder(prefix: string): Promise<string[]> {
  const redis = new Redis(server.url);
  try {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found.sort();
  } finally {
    await redis.quit();
  }
}

describeStoreContract('redis', async () => {
  const store = await openStore();
  return { store, dispose: () => store.close() };
});

describe('RedisStore', () => {
  it(
    'estimates 1,000,000 distinct viewers within 1.5%, whatever the ids look like',
    { timeout: 120_000 },
    async () => {
      const store = await openStore();
      try {
        const n = 1_000_000;
        // Three id shapes; `viewer-<n>` put a single Redis sketch 3.1% off, which sharding cures.
        const shapes: [string, (i: number) => string][] = [
          ['u:<n>', (i) => `u:${i}`],
          ['viewer-<n>', (i) => `viewer-${i}`],
          ['a:<random>', () => `a:${randomUUID()}`],
        ];
        for (const [shape, make] of shapes) {
          const stream = `big-${shape.replace(/[^a-z]/g, '')}`;
          const started = performance.now();
          for (let start = 0; start < n; start += 100_000) {
            await store.uniques.add(
              stream,
              Array.from({ length: 100_000 }, (_, i) => make(start + i)),
            );
          }
          const insertMs = performance.now() - started;
          const count = await store.uniques.count(stream);
          const error = Math.abs(count - n) / n;
          console.log(
            `HLL at 10^6 (${shape}): estimate ${count}, error ${(error * 100).toFixed(3)}%, ` +
              `insert ${insertMs.toFixed(0)} ms`,
          );
          expect(error).toBeLessThan(0.015);
        }
      } finally {
        await store.close();
      }
    },
  );

  it('fails every call fast while Redis is down and recovers without being recreated', async () => {
    const outages: Error[] = [];
    const store = await openStore({ onConnectionError: (error) => outages.push(error) });
    let readies = 0;
    const stopReadies = store.onReady(() => readies++);
    try {
      await store.history.append('live', [{ id: '1', bytes: new Uint8Array([1]) }]);
      const before = await store.moderation.generation('before-restart');
      await server.stop();

      const calls: Record<string, () => Promise<unknown>> = {
        'history.append': () =>
          store.history.append('live', [{ id: '2', bytes: new Uint8Array([2]) }]),
        'history.recent': () => store.history.recent('live', 10),
        'history.remove': () => store.history.remove('live', '1'),
        'history.clear': () => store.history.clear('live'),
        'uniques.add': () => store.uniques.add('live', ['a', 'b']),
        'uniques.count': () => store.uniques.count('live'),
        'stats.raisePeak': () => store.stats.raisePeak('live', 5),
        'stats.peak': () => store.stats.peak('live'),
        'stats.saveTotals': () => store.stats.saveTotals('live', { total: 1, text: '1 watching' }),
        'stats.totals': () => store.stats.totals('live'),
        'stats.saveRates': () =>
          store.stats.saveRates('live', { chatPerS: 1, reactionsPerS: 0, at: Date.now() }),
        'stats.rates': () => store.stats.rates('live'),
        'leases.acquire': () => store.leases.acquire('p0', 'agg-a', 1000),
        'leases.release': () => store.leases.release('p0', 'agg-a'),
        'leases.holder': () => store.leases.holder('p0'),
        ...moderationCalls(store),
        // Polls
        'polls.current': () => store.polls.current('live'),
        'polls.get': () => store.polls.get('live', 'p1'),
        'polls.cast': () => store.polls.cast('live', 'p1', [{ voter: 'u:a', option: 0 }], 1, 0),
        'polls.close': () => store.polls.close('live', 'p1', 1),
        'polls.finalize': () => store.polls.finalize('live', 'p1', 1),
      };
      let slowest = 0;
      for (const [name, call] of Object.entries(calls)) {
        const started = performance.now();
        const error: unknown = await call().then(
          () => new Error(`${name} resolved while Redis was down`),
          (rejection: unknown) => rejection,
        );
        const elapsed = performance.now() - started;
        slowest = Math.max(slowest, elapsed);
        expect(error, name).toBeInstanceOf(StoreUnavailableError);
        expect((error as StoreUnavailableError).cause, name).toBeInstanceOf(Error);
        expect(elapsed, name).toBeLessThan(1500);
      }
      console.log(`Redis down: slowest failure ${slowest.toFixed(1)} ms`);
      expect(store.connected).toBe(false);
      // A clean shutdown closes the socket without an error; the first refused reconnect reports.
      await waitFor(() => outages.length > 0, { message: 'the outage to be reported' });

      await server.start();
      await waitFor(() => store.connected, { timeoutMs: 5000, message: 'the store to reconnect' });
      expect(outages.length).toBe(1);
      // Gateways hear the reconnect, and the emptied server has no generation marker any more.
      expect(readies).toBe(1);
      expect(await store.moderation.generation('after-restart')).toEqual({
        id: 'after-restart',
        created: true,
      });
      expect(before).toEqual({ id: 'before-restart', created: true });
      // The restarted server is empty and has lost its script cache; scripts must load again.
      expect(await store.leases.acquire('p0', 'agg-a', 10_000)).toBeGreaterThan(0);
      expect(await store.stats.raisePeak('live', 7)).toBe(7);
      await store.history.append('live', [{ id: '3', bytes: new Uint8Array([3]) }]);
      expect(await store.history.remove('live', '3')).toBe(true);
      await store.uniques.add('live', ['a']);
      expect(await store.uniques.count('live')).toBe(1);
      for (const [name, call] of Object.entries(moderationCalls(store)))
        await call().catch((error: unknown) =>
          expect.fail(`${name} failed after the restart: ${String(error)}`),
        );
      expect(await store.moderation.listHeld('live')).toEqual([]);
      expect((await store.moderation.listBans('live', Date.now())).map((b) => b.userId)).toEqual([
        'u1',
      ]);
    } finally {
      stopReadies();
      await store.close();
      // Leaves the shared server up for whatever runs next, even after a failure above.
      await server.start();
    }
  });

  it('fails a call after commandTimeoutMs when Redis is up but does not answer', async () => {
    const store = await openStore({ commandTimeoutMs: 200 });
    const blocker = new Redis(server.url);
    try {
      // A script that spins for 800 ms stalls the single-threaded server for every client.
      const spin = blocker.eval(
        `local t = redis.call('TIME'); local start = t[1] * 1e6 + t[2]
         repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] - start > 800000
         return 1`,
        0,
      );
      await waitFor(async () => (await store.uniques.count('slow').catch(() => -1)) === -1, {
        message: 'the server to stall',
      });
      const started = performance.now();
      const error: unknown = await store.stats
        .peak('slow')
        .catch((rejection: unknown) => rejection);
      const elapsed = performance.now() - started;
      console.log(`Redis stalled: call failed after ${elapsed.toFixed(0)} ms (timeout 200 ms)`);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(elapsed).toBeLessThan(600);
      await spin;
      expect(await store.stats.peak('slow')).toBe(0);
    } finally {
      await blocker.quit();
      await store.close();
    }
  });

  it('round-trips any bytes exactly, including NUL, 0xff and invalid UTF-8', async () => {
    const store = await openStore();
    try {
      const every = Uint8Array.from({ length: 256 }, (_, i) => i);
      const entries = [
        { id: 'all-bytes', bytes: every },
        { id: 'nul-first', bytes: new Uint8Array([0x00, 0x00, 0x01]) },
        { id: 'bad-utf8', bytes: new Uint8Array([0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf8, 0xff, 0xfe]) },
        { id: 'empty', bytes: new Uint8Array([]) },
        { id: 'ünï-✓', bytes: new Uint8Array([0xff, 0x00]) },
      ];
      await store.history.append('bin', entries);
      const back = await store.history.recent('bin', 10);
      expect(back.map((e) => e.id)).toEqual(entries.map((e) => e.id));
      back.forEach((e, i) => {
        expect(Buffer.from(e.bytes).equals(Buffer.from(entries[i]?.bytes ?? []))).toBe(true);
        expect(e.bytes).toBeInstanceOf(Uint8Array);
      });
      await expect(
        store.history.append('bin', [{ id: 'a\0b', bytes: new Uint8Array([1]) }]),
      ).rejects.toThrow(/NUL/);
    } finally {
      await store.close();
    }
  });

  it('keeps every key under its prefix, a stream’s keys in one hash tag', async () => {
    const store = await openStore({ totalsTtlSeconds: 120 });
    const prefix = store.keys.prefix;
    try {
      await store.history.append('final-2026', [{ id: '1', bytes: new Uint8Array([1]) }]);
      await store.uniques.add('final-2026', ['v1']);
      await store.stats.raisePeak('final-2026', 3);
      await store.stats.saveTotals('final-2026', { total: 3, text: '3 watching' });
      await store.stats.saveRates('final-2026', { chatPerS: 2, reactionsPerS: 1, at: 1 });
      await store.stats.saveRates('rates-only', { chatPerS: 2, reactionsPerS: 1, at: 1 });
      await store.leases.acquire('agg-p0', 'agg-a', 10_000);

      const keys = await keysUnder(prefix);
      // One identity lands in one of the stream's uniques shards.
      expect(keys.filter((k) => !/:uniques:[0-7]$/.test(k))).toEqual([
        `${prefix}:lease-epoch:{agg-p0}`,
        `${prefix}:lease:{agg-p0}`,
        `${prefix}:s:{final-2026}:history`,
        `${prefix}:s:{final-2026}:stats`,
        `${prefix}:s:{rates-only}:stats`,
      ]);
      expect(keys.filter((k) => k.startsWith(`${prefix}:s:{final-2026}:uniques:`))).toHaveLength(1);
      const redis = new Redis(server.url);
      try {
        for (const stream of ['final-2026', 'rates-only']) {
          const ttl = await redis.ttl(store.keys.stats(stream));
          expect(ttl, stream).toBeGreaterThan(0);
          expect(ttl, stream).toBeLessThanOrEqual(120);
        }
      } finally {
        await redis.quit();
      }
      await expect(store.history.recent('a{b}', 1)).rejects.toThrow(/invalid stream id/);
      expect(() =>
        createRedisStore({ url: server.url, prefix: 'x{y}', historyCapacity: 1 }),
      ).toThrow(/prefix/);
    } finally {
      await store.close();
    }
  });

  it('keeps moderation keys under the prefix: a stream’s in its hash tag, global ones apart', async () => {
    const store = await openStore();
    const { prefix } = store.keys;
    const m = store.moderation;
    try {
      const t = Date.now();
      await m.putBan({ userId: 'u', scope: 'cup', until: null, reason: '', by: 'm', at: t });
      await m.putBan({ userId: 'u', scope: GLOBAL_SCOPE, until: null, reason: '', by: 'm', at: t });
      await m.putSettings('cup', { emoteOnly: true });
      await m.setPin('cup', { id: 'p', bytes: new Uint8Array([1]) });
      await m.appendAudit({ at: t, scope: 'cup', actor: 'm', action: 'ban' });
      await m.appendAudit({ at: t, scope: GLOBAL_SCOPE, actor: 'm', action: 'ban' });
      await m.hold({ id: 'h', bytes: new Uint8Array([2]), stream: 'cup', at: t, reason: 'r' });
      await m.claimRequest('req-9', 10_000);

      expect(await keysUnder(prefix)).toEqual([
        `${prefix}:claim:req-9`,
        `${prefix}:global:audit`,
        `${prefix}:global:bans`,
        `${prefix}:s:{cup}:audit`,
        `${prefix}:s:{cup}:bans`,
        `${prefix}:s:{cup}:held`,
        `${prefix}:s:{cup}:held-order`,
        `${prefix}:s:{cup}:pin`,
        `${prefix}:s:{cup}:settings`,
      ]);
    } finally {
      await store.close();
    }
  });

  it('expires a stream’s history, uniques and held messages after their last write, never its moderators’ decisions', async () => {
    const store = await openStore({ streamStateTtlSeconds: 2 });
    const { prefix } = store.keys;
    const m = store.moderation;
    const redis = new Redis(server.url);
    try {
      const t = Date.now();
      await store.history.append('ended', [{ id: '1', bytes: new Uint8Array([1]) }]);
      await store.uniques.add('ended', ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9']);
      await m.hold({ id: 'h', bytes: new Uint8Array([2]), stream: 'ended', at: t, reason: 'r' });
      await m.putBan({ userId: 'u', scope: 'ended', until: null, reason: '', by: 'm', at: t });
      await m.putSettings('ended', { slowModeS: 5 });
      await m.setPin('ended', { id: 'p', bytes: new Uint8Array([1]) });
      await m.appendAudit({ at: t, scope: 'ended', actor: 'm', action: 'ban' });

      const expiring = (await keysUnder(prefix)).filter((k) =>
        /:(history|held|held-order|uniques:[0-7])$/.test(k),
      );
      expect(expiring.length).toBeGreaterThanOrEqual(4);
      for (const key of expiring) {
        const ttl = await redis.pttl(key);
        expect(ttl, key).toBeGreaterThan(0);
        expect(ttl, key).toBeLessThanOrEqual(2000);
      }
      // A write renews the expiry of what it touches: once the history's has run below 800 ms
      // (a condition on Redis's own clock, not a sleep), a write puts it back above 1200.
      let left = 0;
      await waitFor(async () => (left = await redis.pttl(store.keys.history('ended'))) < 800, {
        timeoutMs: 5000,
        message: 'the history’s expiry to run down',
        intervalMs: 20,
      });
      expect(left, 'the history still there before the write').toBeGreaterThan(0);
      await store.history.append('ended', [{ id: '2', bytes: new Uint8Array([2]) }]);
      expect(await redis.pttl(store.keys.history('ended'))).toBeGreaterThan(1200);

      await waitFor(
        async () => (await keysUnder(prefix)).every((k) => !/:(held|uniques:)/.test(k)),
        {
          timeoutMs: 5000,
          message: 'held messages and uniques to expire',
          intervalMs: 100,
        },
      );
      expect(await store.history.recent('ended', 10)).toHaveLength(2);
      await waitFor(async () => (await store.history.recent('ended', 10)).length === 0, {
        timeoutMs: 5000,
        message: 'the history to expire',
        intervalMs: 100,
      });
      expect(await keysUnder(prefix)).toEqual([
        `${prefix}:s:{ended}:audit`,
        `${prefix}:s:{ended}:bans`,
        `${prefix}:s:{ended}:pin`,
        `${prefix}:s:{ended}:settings`,
      ]);
      expect(() =>
        createRedisStore({ url: server.url, historyCapacity: 1, streamStateTtlSeconds: 0 }),
      ).toThrow(/streamStateTtlSeconds/);
    } finally {
      await redis.quit();
      await store.close();
    }
  });

  it('expires a scope of timeouts after the last one ends, never one with a permanent ban', async () => {
    const store = await openStore();
    const m = store.moderation;
    const redis = new Redis(server.url);
    try {
      const t = Date.now();
      const timeout = { scope: 'tt', reason: '', by: 'm', at: t };
      await m.putBan({ ...timeout, userId: 'a', until: t + 60_000 });
      await m.putBan({ ...timeout, userId: 'b', until: t + 120_000 });
      await m.putBan({ ...timeout, userId: 'c', until: t + 30_000 });
      const expiresAt = await redis.pexpiretime(store.keys.bans('tt'));
      // The last timeout's end plus a grace period for clocks that disagree.
      expect(expiresAt).toBeGreaterThan(t + 120_000);
      expect(expiresAt).toBeLessThanOrEqual(t + 120_000 + 2 * 3_600_000);

      await m.putBan({ ...timeout, userId: 'p', until: null });
      expect(await redis.pttl(store.keys.bans('tt'))).toBe(-1);
      await m.putBan({ ...timeout, userId: 'd', until: t + 1000 });
      expect(await redis.pttl(store.keys.bans('tt'))).toBe(-1);
    } finally {
      await redis.quit();
      await store.close();
    }
  });

  it('sweeps ended bans when listing, but not a ban put again since', async () => {
    const store = await openStore();
    const m = store.moderation;
    const redis = new Redis(server.url);
    try {
      const t = Date.now();
      const key = store.keys.bans('sw');
      await m.putBan({ userId: 'gone', scope: 'sw', until: t - 1, reason: '', by: 'm', at: t });
      await m.putBan({ userId: 'kept', scope: 'sw', until: null, reason: '', by: 'm', at: t });
      expect((await m.listBans('sw', t)).map((b) => b.userId)).toEqual(['kept']);
      expect(await redis.hkeys(key)).toEqual(['kept']);
      // A `now` ahead of the clock hides a running timeout from that reader only.
      await m.putBan({
        userId: 'soon',
        scope: 'sw',
        until: t + 60_000,
        reason: '',
        by: 'm',
        at: t,
      });
      expect((await m.listBans('sw', t + 120_000)).map((b) => b.userId)).toEqual(['kept']);
      expect((await redis.hkeys(key)).sort()).toEqual(['kept', 'soon']);
    } finally {
      await redis.quit();
      await store.close();
    }
  });

  it('throws plain errors for caller mistakes before sending anything', async () => {
    const store = await openStore();
    const m = store.moderation;
    try {
      const mistakes: [string, () => Promise<unknown>, RegExp][] = [
        ['bad scope', () => m.listBans('a{b}', 0), /invalid stream id/],
        ['bad stream', () => m.getSettings('x y'), /invalid stream id/],
        ['bad before', () => m.listAudit('s', 5, 'abc'), /invalid audit id/],
        ['huge before', () => m.listAudit('s', 5, '18446744073709551616-0'), /invalid audit id/],
        ['bad claim key', () => m.claimRequest('has space', 1000), /invalid request key/],
        ['bad claim ttl', () => m.claimRequest('k', 0), /ttlMs/],
        [
          'bad until',
          () => m.putBan({ userId: 'u', scope: 's', until: NaN, reason: '', by: 'm', at: 1 }),
          /until/,
        ],
        ['NUL in pin id', () => m.setPin('s', { id: 'a\0', bytes: new Uint8Array() }), /NUL/],
      ];
      for (const [name, call, message] of mistakes) {
        const error: unknown = await call().then(
          () => new Error(`${name} resolved`),
          (rejection: unknown) => rejection,
        );
        expect(error, name).not.toBeInstanceOf(StoreUnavailableError);
        expect(String(error), name).toMatch(message);
      }
      // Nothing can precede the first possible id.
      expect(await m.listAudit('s', 5, '0-0')).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
