import { describe, expect, it } from 'vitest';
import { ENTRIES, bundleSize } from '../scripts/bundle-size.mjs';

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
});
