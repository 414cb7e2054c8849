import type { StateEvent } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { answerJoin, harness } from '../test/client-harness.js';
import { settle, type FakeTransport } from '../test/fakes.js';
import { ClientErrorCode } from './errors.js';
import { LiveStates, type StateChange } from './live-state.js';

const state = (t: FakeTransport, stream: string, event: Omit<StateEvent, 'type'>): void =>
  t.push({ type: 'batch', stream, events: [{ type: 'state', ...event }] });

describe('LiveStates (@roar/client/live-state)', () => {
  it('keeps a live map from the snapshot and updates, by version, with change events', async () => {
    const h = harness();
    const states = new LiveStates(h.client);
    const seen: StateChange[] = [];
    states.on('state', (c) => seen.push(c));
    const t = await h.open();
    void h.client.join('s');
    answerJoin(t, 's');
    const live = states.of('s');
    const changes: string[] = [];
    live.on('change', (c) => changes.push(`${c.key}=${JSON.stringify(c.value)}@${c.version}`));
    state(t, 's', {
      version: 12,
      snapshot: true,
      changes: {
        score: { version: 10, ts: 1, value: '0/0' },
        over: { version: 12, ts: 1, value: 1 },
      },
    });
    expect(live.toJSON()).toEqual({ score: '0/0', over: 1 });
    state(t, 's', { version: 14, changes: { score: { version: 14, ts: 2, value: '4/0' } } });
    // An older value heard late changes nothing.
    state(t, 's', { version: 14, changes: { score: { version: 13, ts: 2, value: '1/0' } } });
    state(t, 's', { version: 15, changes: { over: { version: 15, ts: 3, deleted: true } } });
    expect(live.get('score')).toBe('4/0');
    expect(live.versionOf('score')).toBe(14);
    expect(live.has('over')).toBe(false);
    // A value older than the delete, heard late, does not bring the key back.
    state(t, 's', { version: 15, changes: { over: { version: 13, ts: 3, value: 9 } } });
    expect(live.has('over')).toBe(false);
    // A snapshot replaces the map: keys it does not list are gone.
    state(t, 's', {
      version: 20,
      snapshot: true,
      changes: { prob: { version: 20, ts: 4, value: 0.5 } },
    });
    expect(live.toJSON()).toEqual({ prob: 0.5 });
    expect(changes).toEqual([
      'score="0/0"@10',
      'over=1@12',
      'score="4/0"@14',
      'over=undefined@15',
      'score=undefined@14',
      'prob=0.5@20',
    ]);
    expect(seen.map((c) => c.key)).toEqual(['score', 'over', 'score', 'over', 'score', 'prob']);
  });

  it('rejoins after a reconnect with the state version it holds', async () => {
    const h = harness();
    const states = new LiveStates(h.client);
    let t = await h.open();
    void h.client.join('s');
    answerJoin(t, 's');
    expect(t.last('join').stateVersion).toBeUndefined();
    state(t, 's', {
      version: 30,
      snapshot: true,
      changes: { a: { version: 30, ts: 1, value: 1 } },
    });
    state(t, 's', { version: 31, changes: { b: { version: 31, ts: 1, value: 2 } } });
    expect(states.of('s').toJSON()).toEqual({ a: 1, b: 2 });
    t.drop(1006);
    t = await h.redial();
    t.welcome();
    expect(t.last('join')).toMatchObject({ stream: 's', stateVersion: 31 });
  });

  it('without a LiveStates, state events are skipped and a rejoin asks for a full snapshot', async () => {
    const h = harness();
    let t = await h.open();
    void h.client.join('s');
    answerJoin(t, 's');
    state(t, 's', {
      version: 30,
      snapshot: true,
      changes: { a: { version: 30, ts: 1, value: 1 } },
    });
    t.drop(1006);
    t = await h.redial();
    t.welcome();
    expect(t.last('join').stateVersion).toBeUndefined();
  });

  it('holds state changes for playback alignment like chat', async () => {
    const h = harness({ playback: { latencyMs: 2000 } });
    const states = new LiveStates(h.client);
    const seen: StateChange[] = [];
    states.on('state', (c) => seen.push(c));
    const t = await h.open();
    const ping = t.last('ping');
    t.push({ type: 'pong', ref: ping.ref ?? -1, ts: h.clock.now() });
    await settle();
    void h.client.join('s');
    answerJoin(t, 's');
    const now = h.client.serverNow();
    state(t, 's', { version: 5, changes: { score: { version: 5, ts: now, value: 'SIX' } } });
    expect(states.of('s').get('score')).toBeUndefined();
    h.clock.advance(1999);
    expect(seen).toEqual([]);
    h.clock.advance(1);
    expect(states.of('s').get('score')).toBe('SIX');
    state(t, 's', { version: 6, changes: { score: { version: 6, ts: now + 2000, value: 'OUT' } } });
    // Dropped while the new value is held: the rejoin resumes from what was applied.
    t.drop(1006);
    const again = await h.redial();
    again.welcome();
    expect(again.last('join')).toMatchObject({ stream: 's', stateVersion: 5 });
  });

  it('writes with set, patch and delete; a conflict carries the current version', async () => {
    const h = harness();
    const states = new LiveStates(h.client);
    const t = await h.open();
    const setting = states.set('s', 'score', { home: 1 }, { ifVersion: 0, idempotencyKey: 'k1' });
    expect(t.last('widget')).toEqual({
      type: 'widget',
      ref: expect.any(Number),
      stream: 's',
      key: 'score',
      op: 'set',
      value: { home: 1 },
      ifVersion: 0,
      idempotencyKey: 'k1',
    });
    t.push({ type: 'ack', ref: t.last('widget').ref ?? -1, version: 7 });
    await expect(setting).resolves.toEqual({ version: 7, replayed: false });
    const patching = states.patch('s', 'score', { away: 2 }, { ifVersion: 3 });
    t.push({
      type: 'error',
      ref: t.last('widget').ref ?? -1,
      code: 'version_conflict',
      message: 'moved',
      version: 7,
    });
    await expect(patching).rejects.toMatchObject({ code: 'version_conflict', version: 7 });
    const deleting = states.delete('s', 'score');
    expect(t.last('widget')).toMatchObject({ op: 'delete', key: 'score' });
    t.push({ type: 'ack', ref: t.last('widget').ref ?? -1, version: 8, replayed: true });
    await expect(deleting).resolves.toEqual({ version: 8, replayed: true });
    await expect(states.set('s', 'bad key', 1)).rejects.toMatchObject({
      code: ClientErrorCode.InvalidArgument,
    });
    await expect(states.set('s', 'k', 'x'.repeat(2000))).rejects.toMatchObject({
      code: ClientErrorCode.InvalidArgument,
    });
  });
});
