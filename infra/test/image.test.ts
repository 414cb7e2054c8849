import { ManagedProcess, freePort } from '@roar/testkit';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { dockerStages } from './dockerfile.js';

/**
 * The image's build without Docker (no daemon here): the build stage's RUN steps of
 * infra/Dockerfile, as written there, on a clean copy of the tree (what `COPY . .` sees: the
 * files git tracks or would add, so no node_modules or dist), then the gateway started from what
 * the runtime stage copies (`/out`), serving the overlay and the demo.
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The files `COPY . .` brings in: tracked or new, not ignored (the same exclusions). */
async function copyTree(into: string): Promise<void> {
  const { stdout } = await run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: ROOT,
      maxBuffer: 64 << 20,
    },
  );
  for (const file of stdout.split('\0')) {
    // Deleted but not yet committed files are listed as cached and are not there.
    if (!file || !existsSync(join(ROOT, file))) continue;
    await mkdir(dirname(join(into, file)), { recursive: true });
    await copyFile(join(ROOT, file), join(into, file));
  }
}

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url);
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: await res.text(),
  };
}

describe('the image’s build steps on a clean tree', { timeout: 600_000 }, () => {
  it('builds what the gateway serves: /overlay.js, /app.js and /overlay', async () => {
    const [build, runtime] = dockerStages();
    expect(build?.workdir).toBe('/src');
    const scratch = await mkdtemp(join(tmpdir(), 'roar-image-'));
    try {
      const src = join(scratch, 'src');
      const out = join(scratch, 'out');
      await copyTree(src);
      expect(existsSync(join(src, 'node_modules'))).toBe(false);
      for (const step of build?.runs ?? []) {
        // /src and /out are the image's paths; here they are folders of the scratch directory.
        const command = step.replaceAll('/out', out).replaceAll('/src', src);
        await run('sh', ['-ec', command], {
          cwd: src,
          maxBuffer: 64 << 20,
          // npm's cache first, so CI without a network builds too (the image would download).
          env: {
            ...process.env,
            npm_config_prefer_offline: 'true',
            npm_config_update_notifier: 'false',
          },
        }).catch((error: Error & { stdout?: string; stderr?: string }) => {
          throw new Error(`RUN ${step}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`, {
            cause: error,
          });
        });
      }
      // The runtime stage runs `node services/gateway/dist/main.js` from what /out holds.
      expect(runtime?.from).toBe(build?.from);
      const port = await freePort();
      const env = Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith('ROAR_')),
      );
      const gateway = new ManagedProcess(
        process.execPath,
        [join(out, 'services/gateway/dist/main.js')],
        { ...env, NODE_ENV: 'production', ROAR_HOST: '127.0.0.1', ROAR_PORT: String(port) },
      );
      try {
        await gateway.waitForOutput(/Roar is running/, 30_000);
        const base = `http://127.0.0.1:${port}`;
        const overlayJs = await get(`${base}/overlay.js`);
        expect(overlayJs.status).toBe(200);
        expect(overlayJs.type).toContain('text/javascript');
        expect(overlayJs.body).toContain('roar-viewers');
        const appJs = await get(`${base}/app.js`);
        expect(appJs.status).toBe(200);
        expect(appJs.type).toContain('text/javascript');
        expect(appJs.body.length).toBeGreaterThan(10_000);
        const page = await get(`${base}/overlay`);
        expect(page.status).toBe(200);
        expect(page.body).toContain('<roar-viewers');
        expect((await get(`${base}/`)).status).toBe(200);
      } finally {
        await gateway.stop();
      }
      // The aggregator's entry point is there too (it needs NATS and Redis to start).
      expect(existsSync(join(out, 'services/aggregator/dist/main.js'))).toBe(true);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
