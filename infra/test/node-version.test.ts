import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { dockerStages, nodeVersionOf } from './dockerfile.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `process.versions.modules` of each Node major: the ABI a native addon is built for. */
const NODE_ABI: Record<number, number> = { 20: 115, 22: 127, 23: 131, 24: 137 };

interface LockPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

function json<T>(path: string): T {
  return JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as T;
}

/** Every package npm ci installs in the image's build stage, with the Node it declares. */
function declaredEngines(): { name: string; range: string }[] {
  const lock = json<{ packages: Record<string, LockPackage> }>('package-lock.json');
  const out: { name: string; range: string }[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    const range = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
    if (range) out.push({ name: path || '(root)', range });
  }
  return out;
}

describe('the image’s Node and the engines agree with the dependencies', () => {
  const stages = dockerStages();
  const version = nodeVersionOf(stages[0]?.from ?? '') ?? '';

  it('builds and runs on one pinned Node, an LTS line that is not past its end of life', () => {
    expect(stages.map((s) => s.from)).toEqual([stages[0]?.from, stages[0]?.from]);
    expect(version, `${stages[0]?.from} pins no Node version`).toMatch(/^\d+\.\d+\.\d+$/);
    const major = semver.major(version);
    // Even majors become LTS; 20 reached its end of life in April 2026.
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(22);
  });

  it('satisfies every engines.node in the lock file (npm ci prints no EBADENGINE)', () => {
    const unmet = declaredEngines()
      .filter(({ range }) => !semver.satisfies(version, range))
      .map(({ name, range }) => `${name} wants ${range}`);
    expect(unmet).toEqual([]);
  });

  it('says in the root engines what the dependencies need, and the image is within it', () => {
    const root = json<{ engines: { node: string } }>('package.json').engines.node;
    expect(semver.satisfies(version, root)).toBe(true);
    // The oldest Node the root allows must satisfy every dependency too...
    const oldest = semver.minVersion(root)?.version ?? '';
    const unmet = declaredEngines()
      .filter(({ range }) => !semver.satisfies(oldest, range))
      .map(({ name, range }) => `${name} wants ${range}`);
    expect(unmet).toEqual([]);
    // ...and every major it allows must have a uWebSockets.js binary.
    const binaries = readdirSync(join(ROOT, 'node_modules/uWebSockets.js/dist/bin'));
    for (let major = semver.major(oldest); major <= 40; major++) {
      if (!semver.intersects(root, `${major}.x`)) continue;
      const abi = NODE_ABI[major];
      expect(
        abi,
        `the root engines allow Node ${major}, whose ABI is not in NODE_ABI`,
      ).toBeDefined();
      expect(binaries, `Node ${major}`).toContain(`uws_linux_x64_${abi}.node`);
    }
  });

  it('has uWebSockets.js binaries for the image’s Node ABI (amd64 and arm64)', () => {
    const abi = NODE_ABI[semver.major(version)];
    expect(abi, `the ABI of Node ${version} is not in NODE_ABI`).toBeDefined();
    const binaries = readdirSync(join(ROOT, 'node_modules/uWebSockets.js/dist/bin'));
    expect(binaries).toEqual(
      expect.arrayContaining([`uws_linux_x64_${abi}.node`, `uws_linux_arm64_${abi}.node`]),
    );
  });
});
