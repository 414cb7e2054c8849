import { describe, expect, it } from 'vitest';
import { ENTRIES, FEATURES, bundleSize } from '../scripts/bundle-size.mjs';

/** Modules an app gets only by importing a feature entry, and the server's request parser. */
const LEFT_OUT = [
  'packages/client/src/polls.ts',
  'packages/client/src/qa.ts',
  'packages/client/src/live-state.ts',
  'packages/client/src/replay.ts',
  'packages/protocol/src/polls.ts',
  'packages/protocol/src/widgets.ts',
  'packages/protocol/src/json-codec.ts',
];

describe('browser bundle sizes (esbuild, ESM, minified, gzip -9)', () => {
  it('@roar/client/json leaves msgpackr out and is smaller than socket.io-client', async () => {
    const json = await bundleSize(ENTRIES['@roar/client/json']);
    const full = await bundleSize(ENTRIES['@roar/client']);
    const socketIo = await bundleSize(ENTRIES['socket.io-client']);
    expect([...json.byPackage.keys()]).not.toContain('msgpackr');
    expect(full.byPackage.get('msgpackr')).toBeGreaterThan(0);
    expect(json.gzip).toBeLessThan(socketIo.gzip);
    expect(json.gzip).toBeLessThan(full.gzip);
  });

  it('leaves the feature entries and the server-side parsers out of the core', async () => {
    const json = await bundleSize(ENTRIES['@roar/client/json']);
    expect([...json.byFile.keys()].filter((path) => LEFT_OUT.includes(path))).toEqual([]);
    // ...and an app that imports a feature gets it.
    const polls = await bundleSize(FEATURES['/json + /polls'] ?? '');
    expect(polls.byFile.get('packages/client/src/polls.ts')).toBeGreaterThan(0);
    expect(polls.gzip).toBeGreaterThan(json.gzip);
  });
});
