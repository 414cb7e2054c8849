import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const RUN = fileURLToPath(new URL('../bench/run.mjs', import.meta.url));

interface Widgets {
  viewers: number;
  updates: number;
  failedWrites: number;
  ticks: number;
  framesPerViewer: number;
  maxFramesPerViewer: number;
  reachedFinal: { reached: number; of: number };
  reachEveryViewerMs: { p50: number; p99: number; max: number };
}

// The widgets bench's smallest slice (`--smoke --only widgets`), so its harness cannot rot:
// 200 viewers, 200 writes in 2 s. Latency is the full run's to judge; this checks the counts.
describe('loadtest bench: live widgets (--smoke --only widgets)', () => {
  it('conflates 100 writes a second to at most one frame per tick, every viewer ending on the last value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'roar-bench-widgets-'));
    try {
      await promisify(execFile)(
        process.execPath,
        [RUN, '--smoke', '--only', 'widgets', '--out', dir],
        { timeout: 45_000 },
      );
      const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as {
        errors: string[];
        phases: { widgets: Widgets };
      };
      expect(results.errors).toEqual([]);
      const w = results.phases.widgets;
      expect(w.viewers).toBe(200);
      expect(w.failedWrites).toBe(0);
      expect(w.reachedFinal).toEqual({ reached: 200, of: 200 });
      expect(w.maxFramesPerViewer).toBeLessThanOrEqual(w.ticks + 1);
      expect(w.framesPerViewer).toBeLessThan(w.updates);
      expect(w.reachEveryViewerMs.max).toBeGreaterThan(0);
      const markdown = await readFile(join(dir, 'RESULTS.md'), 'utf8');
      expect(markdown).toContain('## Live widgets');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 50_000);
});
