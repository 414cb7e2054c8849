// Bundles the SDK as a browser app would (ESM, minified, msgpackr included) and prints its size,
// so the figure in the README can be checked and kept honest: node packages/client/scripts/size.mjs
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

const result = await build({
  entryPoints: [entry],
  bundle: true,
  format: 'esm',
  minify: true,
  platform: 'browser',
  target: 'es2022',
  // Workspace packages from their TypeScript sources, so no build step is needed first.
  conditions: ['roar-source'],
  legalComments: 'none',
  metafile: true,
  write: false,
});

const output = result.outputFiles[0];
if (!output) throw new Error('esbuild produced no output');
const raw = output.contents.byteLength;
const gzip = gzipSync(output.contents, { level: 9 }).byteLength;

/** Bytes of minified output per package, to see what the total is made of. */
const byPackage = new Map();
for (const out of Object.values(result.metafile.outputs)) {
  for (const [path, { bytesInOutput }] of Object.entries(out.inputs)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/src/')[0];
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`@roar/client browser bundle (esm, minified, msgpackr included)`);
console.log(`  raw:  ${raw} bytes (${kb(raw)})`);
console.log(`  gzip: ${gzip} bytes (${kb(gzip)})`);
console.log('  minified bytes by source:');
for (const [name, bytes] of [...byPackage].sort((a, b) => b[1] - a[1])) {
  console.log(`    ${name.replace(/^.*\/(packages|services)\//, '$1/').padEnd(28)} ${bytes}`);
}
