import { describe, expect, it } from 'vitest';
import { FakeClock } from '../test/fakes.js';
import { PlaybackBuffer } from './playback.js';

function setup(latency: number | (() => number), offsetMs = 0, maxHeld = 5000) {
  const clock = new FakeClock(1_000_000);
  const released: string[] = [];
  let offset = offsetMs;
  const buffer = new PlaybackBuffer<string>({
    clock,
    latencyMs: typeof latency === 'function' ? latency : () => latency,
    offsetMs: () => offset,
    maxHeld,
    release: (item) => released.push(item),
  });
  return { clock, released, buffer, setOffset: (v: number) => (offset = v) };
}

describe('PlaybackBuffer', () => {
  it('holds each event until serverNow - latency reaches its timestamp, then releases in order', () => {
    const { clock, released, buffer } = setup(3000);
    const t0 = clock.now();
    buffer.push('a', t0); // due at t0 + 3000
    clock.advance(500);
    buffer.push('b', t0 + 400); // due at t0 + 3400
    buffer.push('reaction'); // no timestamp: due 3 s after arrival, t0 + 3500
    clock.advance(2499);
    expect(released).toEqual([]);
    clock.advance(1);
    expect(released).toEqual(['a']);
    clock.advance(399);
    expect(released).toEqual(['a']);
    clock.advance(1);
    expect(released).toEqual(['a', 'b']);
    clock.advance(100);
    expect(released).toEqual(['a', 'b', 'reaction']);
    expect(buffer.held).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('uses one timer however many events are held', () => {
    const { clock, buffer, released } = setup(5000);
    for (let i = 0; i < 1000; i++) buffer.push(`m${i}`, clock.now());
    expect(clock.pending).toBe(1);
    clock.advance(5000);
    expect(released).toHaveLength(1000);
    expect(released[999]).toBe('m999');
  });

  it('corrects for the server clock offset', () => {
    // The device clock is 10 s fast: offset = server - local = -10 s.
    const { clock, released, buffer } = setup(2000, -10_000);
    const serverNow = clock.now() - 10_000;
    buffer.push('x', serverNow);
    clock.advance(1999);
    expect(released).toEqual([]);
    clock.advance(1);
    expect(released).toEqual(['x']);
  });

  it('never holds an event longer than the latency after it arrived, whatever the clocks say', () => {
    // No estimate yet and the device clock is an hour slow: timestamps look an hour ahead.
    const { clock, released, buffer } = setup(2000, 0);
    buffer.push('future', clock.now() + 3_600_000);
    clock.advance(2000);
    expect(released).toEqual(['future']);
  });

  it('releases at once, without a timer, what is already due when nothing is held', () => {
    const { clock, released, buffer } = setup(2000);
    buffer.push('old', clock.now() - 60_000);
    expect(released).toEqual(['old']);
    expect(clock.pending).toBe(0);
  });

  it('keeps order: an old event waits behind a held one', () => {
    const { clock, released, buffer } = setup(2000);
    buffer.push('new', clock.now());
    buffer.push('old', clock.now() - 60_000);
    expect(released).toEqual([]);
    clock.advance(2000);
    expect(released).toEqual(['new', 'old']);
  });

  it('drops the oldest past maxHeld and counts them', () => {
    const { clock, released, buffer } = setup(1000, 0, 3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) buffer.push(id, clock.now());
    expect(buffer.held).toBe(3);
    expect(buffer.dropped).toBe(2);
    clock.advance(1000);
    expect(released).toEqual(['c', 'd', 'e']);
  });

  it('follows a latency function as the player drifts', () => {
    let latency = 10_000;
    const { clock, released, buffer } = setup(() => latency);
    buffer.push('a', clock.now());
    clock.advance(1000);
    latency = 1000; // the player caught up
    clock.advance(1000);
    expect(released).toEqual(['a']);
  });

  it('clear() drops everything and stops the timer', () => {
    const { clock, released, buffer } = setup(1000);
    buffer.push('a', clock.now());
    buffer.clear();
    clock.advance(5000);
    expect(released).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
