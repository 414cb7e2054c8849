import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The overlay sits on every player page: past this it is no longer "cheap enough". */
const GZIP_BUDGET_BYTES = 3 * 1024;

/** Bundled as services/gateway/scripts/bundle.mjs bundles public/overlay.js. */
async function bundle() {
  const result = await build({
    entryPoints: ['packages/overlay/src/index.ts'],
    absWorkingDir: ROOT,
    bundle: true,
    format: 'esm',
    minify: true,
    platform: 'browser',
    target: 'es2022',
    conditions: ['roar-source'],
    legalComments: 'none',
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const [output] = result.outputFiles;
  const [meta] = Object.values(result.metafile.outputs);
  if (!output || !meta) throw new Error('esbuild produced nothing');
  return { code: output.contents, meta };
}

describe('the overlay bundle', () => {
  it('stays within its gzip budget and loads nothing at run time', async () => {
    const { code, meta } = await bundle();
    const gzip = gzipSync(code, { level: 9 }).byteLength;
    const used = Object.entries(meta.inputs).filter(([, input]) => input.bytesInOutput > 0);
    const fromProtocol = used.filter(([path]) => path.startsWith('packages/protocol/'));
    console.log(
      `overlay.js: ${code.byteLength} B minified, ${gzip} B gzip; from @roar/protocol: ` +
        fromProtocol.map(([path, input]) => `${path} ${input.bytesInOutput} B`).join(', '),
    );
    expect(gzip).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
    expect(meta.imports).toEqual([]);
    // The overlay's own code and the protocol's pure functions it shares with the SDK, nothing
    // else: no other package, and none of the protocol's codecs or validation.
    expect(
      used
        .map(([path]) => path)
        .filter((path) => !path.startsWith('packages/overlay/src/'))
        .sort(),
    ).toEqual(['packages/protocol/src/backoff.ts', 'packages/protocol/src/close-codes.ts']);
  });
});
