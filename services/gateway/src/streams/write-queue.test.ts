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
  it('times the CPU used while nothing is queued, and only then', () => {
    const queue = new WriteQueue(10);
    queue.takeIdle();
    const started = performance.now();
    burnCpu(30);
    const wall = performance.now() - started;
    const idle = queue.takeIdle();
    expect(idle.cpuUs).toBeGreaterThanOrEqual(30_000);
    // The process's CPU counts every thread (GC helpers too): 30 ms of it can take less wall time.
    expect(idle.ms).toBeGreaterThanOrEqual(wall);
    // Queued writes: what runs meanwhile is not counted, until the last write has run.
    const s = stream('s', 0);
    queue.push(s, () => 10);
    burnCpu(30);
    queue.drainAll();
    expect(queue.takeIdle().cpuUs).toBeLessThan(15_000);
    burnCpu(20);
    expect(queue.takeIdle().cpuUs).toBeGreaterThanOrEqual(20_000);
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
