import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));
const ARCHITECTURE = resolve(SRC, '../../../docs/architecture.md');

/**
 * The gateway's folders bottom-up, in the order of docs/architecture.md, "Where things live in
 * the gateway": a module imports only from its own folder and the folders before it. `(root)` is
 * the wiring: the files directly in `src/`, with `cli/` and `bench/`.
 */
const LAYERS = [
  'base',
  'moderation/rules',
  'transport',
  'streams',
  'load',
  'counts',
  'moderation',
  'hooks',
  'features',
  'replay',
  'relay',
  'scheduled',
  'connection',
  '(root)',
] as const;
const ROOT_FOLDERS = ['cli', 'bench'];

/**
 * The seam: all that a module outside `features/` may import from it. A feature's own folder is
 * its business; the rest of the gateway knows it only through its `StreamFeature`.
 */
const SEAM = ['features/feature.ts', 'features/registry.ts', 'features/index.ts'];

/**
 * Imports that break the rules on purpose, `'<from> -> <to>'` (paths under `src/`), each with the
 * reason. None today: add one here rather than bend the rules above.
 */
const DELIBERATE: Readonly<Record<string, string>> = {};

type Layer = (typeof LAYERS)[number];

/** The layer of a source file (a path under `src/`); undefined for a folder with no place. */
function layerOf(file: string): Layer | undefined {
  const [top] = file.split('/');
  if (!file.includes('/') || ROOT_FOLDERS.includes(top ?? '')) return '(root)';
  // The longest match first: moderation/rules/ sits far below moderation/.
  return [...LAYERS]
    .sort((a, b) => b.length - a.length)
    .find((layer) => file.startsWith(`${layer}/`));
}

/** What is wrong with `from` importing `to` (paths under `src/`), or undefined when nothing. */
function violation(from: string, to: string): string | undefined {
  if (DELIBERATE[`${from} -> ${to}`] !== undefined) return undefined;
  const fromLayer = layerOf(from);
  const toLayer = layerOf(to);
  if (fromLayer === undefined) return `${from}: its folder has no place in the layer order`;
  if (toLayer === undefined) return `${from} -> ${to}: that folder has no place in the layer order`;
  if (LAYERS.indexOf(toLayer) > LAYERS.indexOf(fromLayer))
    return `${from} -> ${to}: ${fromLayer} is below ${toLayer}`;
  if (to.startsWith('features/')) {
    if (!from.startsWith('features/') && !SEAM.includes(to))
      return `${from} -> ${to}: past the features' seam (${SEAM.join(', ')})`;
    const feature = /^features\/[^/]+\//.exec(from)?.[0];
    if (feature !== undefined && !to.startsWith(feature) && to !== 'features/feature.ts')
      return `${from} -> ${to}: a feature imports its own folder and feature.ts, no other feature`;
  }
  return undefined;
}

/** Every non-test source file under `src/`, with the files under `src/` it imports. */
function imports(): { from: string; to: string }[] {
  const edges: { from: string; to: string }[] = [];
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .map((f) => f.split('\\').join('/'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  for (const from of files) {
    // Static imports, re-exports and dynamic `import()`, type-only ones included.
    const info = ts.preProcessFile(readFileSync(join(SRC, from), 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue; // packages: their own rules
      const to = relative(SRC, resolve(SRC, dirname(from), fileName)).replace(/\.js$/, '.ts');
      if (!to.startsWith('..')) edges.push({ from, to });
    }
  }
  return edges;
}

describe('the gateway layering', () => {
  it('has every import of src/ point down the layer order, and into features/ only through the seam', () => {
    const edges = imports();
    // Guards against a reader that finds nothing and so passes.
    expect(edges.length).toBeGreaterThan(300);
    expect(edges.flatMap(({ from, to }) => violation(from, to) ?? [])).toEqual([]);
  });

  it('refuses an import up, past the seam, or across features', () => {
    expect(violation('moderation/index.ts', 'features/widgets/state-service.ts')).toMatch(
      /moderation is below features/,
    );
    expect(violation('moderation/rules/chat-policy.ts', 'moderation/actor.ts')).toMatch(/below/);
    expect(violation('base/config.ts', 'hooks/index.ts')).toMatch(/base is below hooks/);
    expect(violation('connection/upgrade.ts', 'features/qa/qa.ts')).toMatch(/seam/);
    expect(violation('features/qa/qa.ts', 'features/polls/poll-desk.ts')).toMatch(/other feature/);
    expect(violation('features/qa/qa.ts', 'features/index.ts')).toMatch(/other feature/);
    expect(violation('features/qa/qa.ts', 'moderation/actor.ts')).toBeUndefined();
    expect(violation('connection/connection-handler.ts', 'features/index.ts')).toBeUndefined();
    expect(violation('cli/main.ts', 'gateway.ts')).toBeUndefined();
    expect(violation('gateway.ts', 'nowhere/x.ts')).toMatch(/no place/);
  });

  it('lists the folders in the order docs/architecture.md gives them', () => {
    const doc = readFileSync(ARCHITECTURE, 'utf8');
    const section = doc.slice(doc.indexOf('## Where things live in the gateway'));
    const table = section.slice(0, section.indexOf('\n#'));
    const rows = [...table.matchAll(/^\| (?:`([a-z/-]+)\/`|(\(root\))) \|/gm)].map(
      (m) => m[1] ?? m[2],
    );
    expect(rows).toEqual([...LAYERS]);
  });

  it('gives every folder of src/ a place', () => {
    const folders = readdirSync(SRC, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile() && d.name.endsWith('.ts'))
      .map((d) => relative(SRC, join(d.parentPath, d.name)).split('\\').join('/'));
    expect(folders.filter((f) => layerOf(f) === undefined)).toEqual([]);
  });
});
