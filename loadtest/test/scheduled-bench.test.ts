import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const RUN = fileURLToPath(new URL('../bench/run.mjs', import.meta.url));

interface TossStream {
  joined: number;
  errors: Record<string, number>;
  welcomeToJoinedMs: { p50: number };
}
interface Results {
  errors: string[];
  phases: {
    toss: {
      joins: number;
      toss: { streams: Record<string, TossStream> };
      tossRedisStalled: { streams: Record<string, TossStream> };
    };
    fairAdmission: { clients: number; modes: Record<string, { admitted: number }> };
    warmCost: { streams: number; busSubscriptionsPerStream: number; redisReadsPerStream: number };
  };
}

// Issue 18's bench phases at their quick sizes, so that the harness cannot rot: both tosses
// join every viewer on both streams, every storm client gets in in both modes, and each warmed
// stream costs one subscription. Timings are not asserted (they are the bench's to report).
describe('loadtest bench: scheduled events (--quick --only toss,fair-admission,warm-cost)', () => {
  it('runs the toss, fair admission and warm-up cost phases end to end', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'roar-sched-bench-'));
    try {
      await promisify(execFile)(
        process.execPath,
        [RUN, '--quick', '--only', 'toss,fair-admission,warm-cost', '--out', dir],
        { timeout: 150_000 },
      );
      const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as Results;
      expect(results.errors).toEqual([]);
      const { toss, fairAdmission, warmCost } = results.phases;
      for (const run of [toss.toss, toss.tossRedisStalled]) {
        const streams = Object.values(run.streams);
        expect(streams).toHaveLength(2);
        for (const s of streams) {
          expect(s.errors).toEqual({});
          expect(s.joined).toBe(toss.joins / 2);
          expect(s.welcomeToJoinedMs.p50).toBeGreaterThan(0);
        }
      }
      for (const mode of ['ticket', 'naive'])
        expect(fairAdmission.modes[mode]?.admitted).toBe(fairAdmission.clients);
      expect(warmCost.busSubscriptionsPerStream).toBe(1);
      expect(warmCost.redisReadsPerStream).toBeGreaterThan(0);
      // The report renders the three phases (a full run used to drop them).
      const markdown = await readFile(join(dir, 'RESULTS.md'), 'utf8');
      const section = markdown.slice(markdown.indexOf('## Scheduled events'));
      expect(section).toContain('**The toss**');
      for (const name of Object.keys(toss.toss.streams)) expect(section).toContain(`| ${name} |`);
      expect(section).toMatch(/\| ticket \| [\d,]+ \|/);
      expect(section).toMatch(/\| naive \(old\) \| [\d,]+ \|/);
      expect(section).toContain('**Warm-up cost per idle stream**');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
