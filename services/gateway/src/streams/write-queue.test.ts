import { describe, expect, it } from 'vitest';
import { burnCpu } from '../../test/burn-cpu.js';
import { StreamState } from './stream-state.js';
import { WriteQueue } from './write-queue.js';
import { defaultSettings } from '../moderation/rules/settings.js';

const stream = (id: string, takenAt: number) => {
  const state = new StreamState(id, 0, 50, defaultSettings([]), 0);
  state.delivery.lastFlushAt = takenAt;
  return state;
};

describe('WriteQueue', () => {
  it('counts the CPU its writes take, once, for load control', () => {
    const queue = new WriteQueue(10);
    const s = stream('s', 0);
    queue.push(s, () => (burnCpu(20), 10));
    queue.push(s, () => (burnCpu(20), 10));
    expect(queue.takeCpuUs()).toBe(0);
    queue.start();
    // One turn: the first job filled it.
    expect(queue.takeCpuUs()).toBeGreaterThanOrEqual(20_000);
    expect(queue.takeCpuUs()).toBe(0);
    queue.drainAll();
    expect(s.delivery.queued).toBe(0);
  });

  it('tells when the oldest batch still being written was taken', () => {
    const queue = new WriteQueue(1);
    expect(queue.oldestAt).toBeUndefined();
    const a = stream('a', 1000);
    const b = stream('b', 1300);
    queue.push(a, () => 1);
    queue.push(b, () => 1);
    expect(queue.oldestAt).toBe(1000);
    queue.start();
    expect(queue.oldestAt).toBe(1300);
    queue.drainAll();
    expect(queue.oldestAt).toBeUndefined();
  });
});
