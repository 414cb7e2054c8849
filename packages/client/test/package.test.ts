import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The packages published together; test/pack.int.test.ts packs and installs them. */
const PUBLISHED = ['protocol', 'client', 'overlay'] as const;
const PACKAGES = fileURLToPath(new URL('../..', import.meta.url));

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  files?: string[];
  scripts?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
}

const manifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(PACKAGES, dir, 'package.json'), 'utf8')) as Manifest;

describe('the published packages’ manifests', () => {
  const manifests = PUBLISHED.map((dir) => ({ dir, m: manifest(dir) }));

  it('share one version, and depend on each other at exactly that version', () => {
    const versions = new Set(manifests.map(({ m }) => m.version));
    expect(versions.size).toBe(1);
    const [version] = versions;
    for (const { m } of manifests) {
      for (const [name, range] of Object.entries(m.dependencies ?? {})) {
        if (name.startsWith('@roar/')) expect(range, `${m.name} → ${name}`).toBe(version);
      }
    }
  });

  it('are public, licensed, documented, built on prepack, and ship only dist/', () => {
    for (const { dir, m } of manifests) {
      expect(m.private, m.name).toBeUndefined();
      expect(m.license, m.name).toBe('MIT');
      expect(existsSync(join(PACKAGES, dir, 'LICENSE')), m.name).toBe(true);
      expect(existsSync(join(PACKAGES, dir, 'README.md')), m.name).toBe(true);
      expect(m.scripts?.prepack, m.name).toBe('tsc -b');
      expect(m.files?.[0], m.name).toBe('dist');
      expect(m.files, m.name).toEqual(expect.arrayContaining(['!dist/**/*.test.*']));
    }
  });

  it('give every entry types before the default, both under dist/', () => {
    for (const { m } of manifests) {
      for (const [entry, target] of Object.entries(m.exports ?? {})) {
        if (typeof target === 'string') continue; // ./package.json
        const keys = Object.keys(target);
        expect(keys.indexOf('types'), `${m.name} ${entry}`).toBeLessThan(keys.indexOf('default'));
        expect(target.types, `${m.name} ${entry}`).toMatch(/^\.\/dist\/.+\.d\.ts$/);
        expect(target.default, `${m.name} ${entry}`).toMatch(/^\.\/dist\/.+\.js$/);
      }
    }
  });
});
