import { waitFor } from '@roar/testkit';
import { describe, expect, it } from 'vitest';
import { replay as replayOf } from '../src/replay.js';
import { startServer, token } from './gateway-server.js';

describe('replay against a real gateway (embedded, memory log)', () => {
  it('replays chat at the player position, seeks back, and goes live without a duplicate or a hole', async () => {
    await using server = await startServer({ ROAR_CHAT_RATE: '100', ROAR_CHAT_BURST: '100' });
    const writer = server.client({ token: await token('w') });
    await writer.connect();
    await writer.join('s');
    const started = Date.now();
    for (let i = 0; i < 6; i++) {
      await writer.sendChat('s', `m${i}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const viewer = server.client({ token: await token('v') });
    let position = started - 1000;
    const replay = replayOf(viewer, 's', { position: () => position });
    const replayed: string[] = [];
    const seeks: number[] = [];
    replay.on('chat', (e) => replayed.push(e.event.text));
    replay.on('seek', (e) => seeks.push(e.position));
    // The player a little ahead of the last message (at the live edge).
    position = started + 3000;
    await waitFor(() => replayed.length === 6, { timeoutMs: 5000, message: 'six replayed' });
    expect(replayed).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);

    // Drag back to the start: a seek, then the same moment's chat again.
    replayed.length = 0;
    position = started - 1;
    await waitFor(() => seeks.length === 1, { timeoutMs: 5000, message: 'the seek' });
    position = started + 3000;
    await waitFor(() => replayed.length === 6, { timeoutMs: 5000, message: 'replayed again' });

    // A message after the replay's last one, then back to live from there.
    await writer.sendChat('s', 'between');
    const live: string[] = [];
    viewer.on('chat', (e) => live.push(e.event.text));
    await viewer.connect();
    await replay.goLive();
    await writer.sendChat('s', 'after');
    await waitFor(() => live.includes('after'), { timeoutMs: 5000, message: 'live chat' });
    expect(live).toEqual(['between', 'after']);
  });
});
