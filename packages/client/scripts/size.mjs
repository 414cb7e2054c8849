// Prints the browser bundle sizes in the README's table, so the figures can be checked and kept
// honest: node packages/client/scripts/size.mjs
import { ENTRIES, FEATURES, bundleSize } from './bundle-size.mjs';

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const [name, contents] of Object.entries(ENTRIES)) {
  const { minified, gzip, byPackage } = await bundleSize(contents);
  console.log(`${name}: ${kib(minified)} minified, ${kib(gzip)} gzip (${gzip} bytes)`);
  for (const [source, bytes] of [...byPackage].sort((a, b) => b[1] - a[1])) {
    if (bytes === 0) continue;
    console.log(`  ${source.padEnd(28)} ${kib(bytes)}`);
  }
}
console.log('Feature entries, each with @roar/client/json:');
for (const [name, contents] of Object.entries(FEATURES)) {
  const { minified, gzip } = await bundleSize(contents);
  console.log(`  ${name.padEnd(22)} ${kib(minified)} minified, ${kib(gzip)} gzip (${gzip} bytes)`);
}
