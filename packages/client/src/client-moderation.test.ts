import type { StreamEvent } from '@roar/protocol';
import { describe, expect, it } from 'vitest';
import { answerJoin, chat, harness, settings } from '../test/client-harness.js';
import { settle, type FakeTransport } from '../test/fakes.js';

async function joinedStream(t: FakeTransport, join: Promise<unknown>, stream = 's') {
  answerJoin(t, stream, { reactions: ['🔥'], pinned: chat('pinned at join') });
  await join;
}

function batch(t: FakeTransport, events: StreamEvent[], extra: { sampled?: number } = {}): void {
  t.push({ type: 'batch', stream: 's', events, ...extra });
}

describe('RoarClient moderation events', () => {
  it('delivers the rules and the pin at join, then each moderation event by type', async () => {
    const h = harness();
    const t = await h.open();
    await joinedStream(t, h.client.join('s'));
    expect(h.seen.joined[0]).toMatchObject({ settings, pinned: { text: 'pinned at join' } });
    const m = chat('spam');
    batch(t, [
      m,
      { type: 'delete', id: m.id },
      { type: 'pin', message: m },
      { type: 'announcement', id: 'a1', ts: 5, text: 'Toss: India bat' },
      { type: 'user_removed', userId: 'u', until: null },
      { type: 'settings', settings: { ...settings, slowModeS: 30 } },
      { type: 'clear' },
      { type: 'pin', message: null },
    ]);
    expect(h.seen.delete).toEqual([{ stream: 's', id: m.id }]);
    expect(h.seen.pin).toEqual([
      { stream: 's', message: m },
      { stream: 's', message: null },
    ]);
    expect(h.seen.announcement).toEqual([
      { stream: 's', event: { type: 'announcement', id: 'a1', ts: 5, text: 'Toss: India bat' } },
    ]);
    expect(h.seen.user_removed).toEqual([{ stream: 's', userId: 'u', until: null }]);
    expect(h.seen.settings[0]?.settings.slowModeS).toBe(30);
    expect(h.seen.clear).toEqual([{ stream: 's' }]);
  });

  it('says when chat is sampled and when it is whole again, once per change', async () => {
    const h = harness();
    const t = await h.open();
    await joinedStream(t, h.client.join('s'));
    batch(t, [chat('a')]);
    batch(t, [chat('b')], { sampled: 0.2 });
    batch(t, [chat('c')], { sampled: 0.2 });
    batch(t, [chat('d')], { sampled: 0.5 });
    batch(t, [chat('e')]);
    expect(h.seen.sampling).toEqual([
      { stream: 's', fraction: 0.2 },
      { stream: 's', fraction: 0.5 },
      { stream: 's', fraction: 1 },
    ]);
  });

  it('emits the degradation level the server announces', async () => {
    const h = harness();
    const t = await h.open();
    t.push({ type: 'status', level: 4, text: 'chat is read-only' });
    t.push({ type: 'status', level: 0, text: 'normal' });
    expect(h.seen.degradation).toEqual([
      { level: 4, text: 'chat is read-only' },
      { level: 0, text: 'normal' },
    ]);
  });

  it('resolves sendChat with held when the message waits for a moderator', async () => {
    const h = harness();
    const t = await h.open();
    const sent = h.client.sendChat('s', 'check this link');
    t.push({ type: 'ack', ref: t.last('chat').ref ?? -1, id: 'c9', ts: 7, held: true });
    await expect(sent).resolves.toEqual({ id: 'c9', ts: 7, held: true });
  });

  it('never shows a held-back message that a moderator removed before the player got to it', async () => {
    const h = harness({ playback: { latencyMs: 2000 } });
    const t = await h.open();
    t.push({ type: 'pong', ref: t.last('ping').ref ?? -1, ts: h.clock.now() });
    await settle();
    await joinedStream(t, h.client.join('s'));
    const now = h.client.serverNow();
    const deleted = chat('deleted', now);
    const troll = { ...chat('troll', now), user: { id: 'troll', name: 'T' } };
    batch(t, [deleted, troll, chat('kept', now)]);
    batch(t, [
      { type: 'delete', id: deleted.id },
      { type: 'user_removed', userId: 'troll', until: now + 60_000 },
    ]);
    expect(h.seen.delete).toHaveLength(1);
    h.clock.advance(2000);
    expect(h.seen.chat.map((c) => c.event.text)).toEqual(['kept']);
    batch(t, [chat('before the clear', h.client.serverNow())]);
    h.clock.advance(1);
    batch(t, [{ type: 'clear' }, chat('after the clear', h.client.serverNow() + 1)]);
    h.clock.advance(2001);
    expect(h.seen.chat.map((c) => c.event.text)).toEqual(['kept', 'after the clear']);
  });
});

describe('RoarClient.moderate', () => {
  it('sends a mod request and resolves on the ack', async () => {
    const h = harness({ token: 'mod-jwt' });
    const t = await h.open();
    const done = h.client.moderate('s', { type: 'timeout', userId: 'troll', seconds: 600 });
    expect(t.last('mod')).toEqual({
      type: 'mod',
      ref: expect.any(Number),
      stream: 's',
      action: { type: 'timeout', userId: 'troll', seconds: 600 },
    });
    t.push({ type: 'ack', ref: t.last('mod').ref ?? -1 });
    await expect(done).resolves.toBeUndefined();
  });

  it("rejects with the server's refusal", async () => {
    const h = harness();
    const t = await h.open();
    const done = h.client.moderate('s', { type: 'clear' });
    t.push({
      type: 'error',
      ref: t.last('mod').ref ?? -1,
      code: 'forbidden',
      message: 'needs the moderator role',
      stream: 's',
    });
    await expect(done).rejects.toMatchObject({ code: 'forbidden', stream: 's' });
  });

  it('refuses malformed actions before sending anything', async () => {
    const h = harness();
    const t = await h.open();
    const attempts = [
      h.client.moderate('bad id', { type: 'clear' }),
      h.client.moderate('s', { type: 'timeout', userId: 'u', seconds: 0 }),
      h.client.moderate('s', { type: 'settings', settings: { slowModeS: -1 } }),
      h.client.moderate('s', { type: 'ban', userId: 'has space' }),
      // Typed callers cannot write this; plain JavaScript can.
      h.client.moderate('s', JSON.parse('{"type":"nuke"}') as { type: 'clear' }),
    ];
    for (const attempt of attempts) {
      await expect(attempt).rejects.toMatchObject({ code: 'invalid_argument' });
    }
    expect(t.sent).toEqual([]);
  });
});
