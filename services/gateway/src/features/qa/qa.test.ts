import { EncodedEvent, type QaEvent } from '@roar/protocol';
import { createMemoryStore, type QaStore, type Upvote } from '@roar/store';
import { describe, expect, it } from 'vitest';
import { defaultSettings } from '../../moderation/rules/settings.js';
import { StreamState } from '../../streams/stream-state.js';
import { Boards, IDLE_READ_MS } from './boards.js';
import { UpvoteBatch } from './upvote-batch.js';

const T = 1_700_000_000_000;

/** A memory Q&A store that counts its calls, and can be made to fail. */
function counted(): {
  qa: QaStore;
  calls: { upvote: Upvote[][]; board: number };
  fail: { on: boolean };
} {
  const inner = createMemoryStore({ historyCapacity: 1 }).qa;
  const calls = { upvote: [] as Upvote[][], board: 0 };
  const fail = { on: false };
  const qa: QaStore = {
    setOpen: (...a) => inner.setOpen(...a),
    ask: (...a) => inner.ask(...a),
    moderate: (...a) => inner.moderate(...a),
    unpick: (...a) => inner.unpick(...a),
    list: (...a) => inner.list(...a),
    mine: (...a) => inner.mine(...a),
    async upvote(stream, votes, now) {
      calls.upvote.push([...votes]);
      if (fail.on) throw new Error('store down');
      return inner.upvote(stream, votes, now);
    },
    async board(stream, n) {
      calls.board++;
      if (fail.on) throw new Error('store down');
      return inner.board(stream, n);
    },
  };
  return { qa, calls, fail };
}

async function openWith(qa: QaStore, stream: string, authors: string[]): Promise<string[]> {
  await qa.setOpen(stream, true, T);
  const ids: string[] = [];
  for (const author of authors) {
    const o = await qa.ask(
      stream,
      { author, user: { id: author, name: author }, text: author, ts: T, held: false },
      0,
    );
    if (!o.ok) throw new Error('refused');
    ids.push(o.id);
  }
  return ids;
}

const taken = (state: StreamState, now: number): QaEvent[] =>
  state
    .takeBatch(now, {})
    .map((e) => e.event)
    .filter((e): e is QaEvent => e.type === 'qa');

describe('UpvoteBatch', () => {
  it('sends one store call per stream per flush, whatever the number of upvotes', async () => {
    const { qa, calls } = counted();
    const [a] = await openWith(qa, 's1', ['author-a']);
    const [b] = await openWith(qa, 's2', ['author-b']);
    const batch = new UpvoteBatch(qa);
    const results = [
      ...Array.from({ length: 300 }, (_, i) => batch.add('s1', a!, `u${i}`)),
      ...Array.from({ length: 200 }, (_, i) => batch.add('s2', b!, `u${i}`)),
    ];
    expect(batch.pending).toBe(500);
    await batch.flush(T);
    expect(calls.upvote.map((c) => c.length).sort()).toEqual([200, 300]);
    expect(new Set(await Promise.all(results))).toEqual(new Set(['counted']));
    expect((await qa.board('s1', 1)).top[0]?.upvotes).toBe(300);
  });

  it('answers a repeated pair at once, without the store: a flood counts once', async () => {
    const { qa, calls } = counted();
    const [a] = await openWith(qa, 's', ['author']);
    const batch = new UpvoteBatch(qa);
    const flood = Array.from({ length: 1000 }, () => batch.add('s', a!, 'same'));
    await batch.flush(T);
    const outcomes = await Promise.all(flood);
    expect(outcomes.filter((o) => o === 'counted')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(999);
    expect(calls.upvote).toHaveLength(1);
    expect(calls.upvote[0]).toHaveLength(1);
  });

  it('rejects a failed batch and lets its upvotes be sent again', async () => {
    const { qa, fail } = counted();
    const [a] = await openWith(qa, 's', ['author']);
    const batch = new UpvoteBatch(qa);
    fail.on = true;
    const first = batch.add('s', a!, 'v');
    await batch.flush(T);
    await expect(first).rejects.toThrow('store down');
    fail.on = false;
    const again = batch.add('s', a!, 'v');
    await batch.flush(T);
    expect(await again).toBe('counted');
  });
});

describe('Boards', () => {
  const state = (): StreamState => new StreamState('s', 0, 10, defaultSettings(['🔥']));
  const fanout = { markDirty: (): void => {} };

  it('reads a board with a Q&A once per interval, and sends it only when its rev grew', async () => {
    const { qa, calls } = counted();
    const [a] = await openWith(qa, 's', ['author']);
    const boards = new Boards(qa, 5, fanout);
    const st = state();
    await boards.read(st, T);
    expect(taken(st, T)).toHaveLength(1);
    const errors: unknown[] = [];
    boards.refresh([st], T + 500, 1000, (_s, e) => errors.push(e));
    expect(calls.board).toBe(1);
    boards.refresh([st], T + 1000, 1000, (_s, e) => errors.push(e));
    expect(calls.board).toBe(2);
    await new Promise((r) => setImmediate(r));
    // Nothing changed: no frame.
    expect(taken(st, T + 1000)).toHaveLength(0);
    await qa.upvote('s', [{ id: a!, voter: 'v' }], T + 1100);
    await boards.read(st, T + 2000);
    const [event] = taken(st, T + 2000);
    expect(event?.top[0]).toMatchObject({ id: a, upvotes: 1 });
    expect(errors).toEqual([]);
  });

  it('never shows a read that a newer bus board overtook, but follows a store that lost its data', async () => {
    const { qa } = counted();
    await openWith(qa, 's', ['author']);
    const boards = new Boards(qa, 5, fanout);
    const st = state();
    const newer: QaEvent = { type: 'qa', rev: 99, ts: T, open: false, top: [], picked: null };
    // A read in flight when a moderator's board arrives on the bus: the read is dropped.
    const reading = boards.read(st, T);
    boards.receive(st, EncodedEvent.of(newer));
    await reading;
    expect(taken(st, T)).toEqual([newer]);
    expect(boards.current('s')?.event.rev).toBe(99);
    expect(boards.isOpen('s')).toBe(false);
    // A read with nothing overtaking it: the store's lower rev means it lost the Q&A (Redis
    // restarted empty); the board starts over from the store's.
    await boards.read(st, T + 1000);
    const [fresh] = taken(st, T + 1000);
    expect(fresh?.rev).toBeLessThan(99);
    expect(fresh?.open).toBe(true);
  });

  it('reads a stream without a Q&A only every IDLE_READ_MS, and keeps the last board on errors', async () => {
    const { qa, calls, fail } = counted();
    const boards = new Boards(qa, 5, fanout);
    const st = state();
    await boards.read(st, T);
    boards.refresh([st], T + IDLE_READ_MS - 1, 1000, () => {});
    expect(calls.board).toBe(1);
    boards.refresh([st], T + IDLE_READ_MS, 1000, () => {});
    expect(calls.board).toBe(2);
    await openWith(qa, 's', ['author']);
    await boards.read(st, T + IDLE_READ_MS + 1);
    const shown = boards.current('s');
    fail.on = true;
    const errors: unknown[] = [];
    boards.refresh([st], T + IDLE_READ_MS + 2000, 1000, (_s, e) => errors.push(e));
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(1);
    expect(boards.current('s')).toBe(shown);
  });
});
