// Bundles one entry for the browser as an app would (esbuild, ESM, minified, every dependency
// included) and measures it: the same way for Roar's entries and for socket.io-client, so the
// README's comparison is like for like. Used by scripts/size.mjs and test/size.test.ts.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = fileURLToPath(new URL('..', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * `contents` is the module bundled (`import ... from`), resolved from this package's folder;
 * workspace packages are read from their TypeScript sources, so nothing needs building first.
 * Resolves to the minified and gzipped (level 9) byte counts, the bytes each package adds and
 * the bytes each source file adds (by path from the repository's root).
 */
export async function bundleSize(contents) {
  const result = await build({
    stdin: { contents, resolveDir: here, sourcefile: 'entry.js', loader: 'js' },
    bundle: true,
    format: 'esm',
    minify: true,
    platform: 'browser',
    target: 'es2022',
    conditions: ['roar-source'],
    legalComments: 'none',
    absWorkingDir: root,
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no output');
  /** Bytes of minified output per package, to see what the total is made of. */
  const byPackage = new Map();
  const byFile = new Map();
  for (const out of Object.values(result.metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(out.inputs)) {
      if (bytesInOutput > 0) byFile.set(path, bytesInOutput);
      const workspace = /^packages\/([^/]+)\//.exec(path)?.[1];
      const name =
        /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ??
        (workspace ? `@roar/${workspace}` : path);
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return {
    minified: output.contents.byteLength,
    gzip: gzipSync(output.contents, { level: 9 }).byteLength,
    byPackage,
    byFile,
  };
}

/** What an app imports from each, so the bundles hold what a page would use. */
export const ENTRIES = {
  '@roar/client': `export { RoarClient } from '@roar/client';`,
  '@roar/client/json': `export { RoarClient } from '@roar/client/json';`,
  'socket.io-client': `export { io } from 'socket.io-client';`,
};

/** Each feature entry with the JSON client, as an app that uses it bundles them. */
export const FEATURES = {
  '/json + /polls': `export { RoarClient } from '@roar/client/json'; export { Polls } from '@roar/client/polls';`,
  '/json + /qa': `export { RoarClient } from '@roar/client/json'; export { Qa } from '@roar/client/qa';`,
  '/json + /live-state': `export { RoarClient } from '@roar/client/json'; export { LiveStates } from '@roar/client/live-state';`,
  '/json + /replay': `export { RoarClient } from '@roar/client/json'; export { replay } from '@roar/client/replay';`,
  '/json + all four': [
    `export { RoarClient } from '@roar/client/json';`,
    `export { Polls } from '@roar/client/polls';`,
    `export { Qa } from '@roar/client/qa';`,
    `export { LiveStates } from '@roar/client/live-state';`,
    `export { replay } from '@roar/client/replay';`,
  ].join(' '),
};
