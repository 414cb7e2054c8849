// Builds the browser bundles the gateway serves from public/ (part of `npm run build`):
//   public/app.js      the demo app (web/main.ts, with the SDK and msgpackr)
//   public/overlay.js  the <roar-viewers> element (packages/overlay/src/index.ts)
// Both are bundled from TypeScript sources (the `roar-source` export condition, and the
// overlay's source by path), so nothing else has to be built first and turbo needs no ordering
// between workspaces. They are build outputs: gitignored, rebuilt by `npm start` and `npm test`.
import { build } from 'esbuild';
import { rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

const BUNDLES = [
  { name: 'app.js', entry: here('../web/main.ts') },
  { name: 'overlay.js', entry: here('../../../packages/overlay/src/index.ts') },
];

const quiet = process.argv.includes('--quiet');

for (const { name, entry } of BUNDLES) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    minify: true,
    platform: 'browser',
    target: 'es2022',
    conditions: ['roar-source'],
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced nothing for ${name}`);
  const out = here(`../public/${name}`);
  // Written aside and renamed, so a gateway or a test reading public/ never sees half a file.
  const tmp = `${out}.${process.pid}.tmp`;
  await writeFile(tmp, output.contents);
  await rename(tmp, out);
  if (!quiet) {
    const gzip = gzipSync(output.contents, { level: 9 }).byteLength;
    const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(`public/${name}: ${kib(output.contents.byteLength)} minified, ${kib(gzip)} gzip`);
  }
}
