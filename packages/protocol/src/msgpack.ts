import { Packr } from 'msgpackr';
import { packFlat } from './msgpack-flat.js';

/**
 * The one msgpack configuration used on every wire: plain maps (no msgpackr records, so any
 * msgpack library can read Roar frames) and minimal map headers. The Packr is not exported: the
 * published declarations then never name msgpackr's types (which need Node's); its options are,
 * for the test that holds `msgpack-flat.ts` to msgpackr's bytes.
 */
export const MSGPACKR_OPTIONS = {
  useRecords: false,
  variableMapSize: true,
  mapsAsObjects: true,
  // msgpackr's default for undefined is an extension other readers do not know.
  encodeUndefinedAsNil: true,
} as const;
const packr = new Packr(MSGPACKR_OPTIONS);

/** Encodes a value to msgpack bytes (events and replies mostly without msgpackr: `packFlat`). */
export function pack(value: unknown): Uint8Array {
  return packFlat(value) ?? packr.pack(value);
}

/** Decodes one msgpack value; throws when the bytes are not exactly one value. */
export function unpack(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** msgpack array header for `n` elements. */
export function arrayHeader(n: number): Uint8Array {
  if (n < 16) return Uint8Array.of(0x90 | n);
  if (n < 0x10000) return Uint8Array.of(0xdc, n >> 8, n & 0xff);
  return Uint8Array.of(0xdd, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
