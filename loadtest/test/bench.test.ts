import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const RUN = fileURLToPath(new URL('../bench/run.mjs', import.meta.url));

interface Step {
  viewers: number;
  deliveryRatio: number;
  cpuSPerMillion: number;
}
interface Results {
  errors: string[];
  servers: { kind: string; fanout: Step[]; memory: { connections: number } }[];
}

// The bench's smallest slice, so the harness cannot rot: 200 viewers per server, one fanout step,
// each server driven end to end through its driver (processes run the built dist: `npm test`
// builds first).
describe('loadtest bench (--smoke)', () => {
  it('drives Roar, Socket.IO and bare uWS and writes the report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'roar-bench-'));
    try {
      await promisify(execFile)(process.execPath, [RUN, '--smoke', '--out', dir], {
        timeout: 45_000,
      });
      const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as Results;
      expect(results.errors).toEqual([]);
      expect(results.servers.map((s) => s.kind)).toEqual(['roar', 'socketio', 'uws']);
      for (const server of results.servers) {
        expect(server.memory.connections).toBe(220);
        const step = server.fanout[0];
        expect(step?.viewers).toBe(200);
        expect(step?.deliveryRatio).toBeGreaterThanOrEqual(0.95);
        expect(step?.cpuSPerMillion).toBeGreaterThan(0);
      }
      const markdown = await readFile(join(dir, 'RESULTS.md'), 'utf8');
      expect(markdown).toContain('## Targets');
      expect(markdown).toContain('## 1. Fanout');
      const svg = await readFile(join(dir, 'results.svg'), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 50_000);
});
