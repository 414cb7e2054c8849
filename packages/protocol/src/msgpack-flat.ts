/**
 * The few shapes a chat frame has, read and written without msgpackr: a request is a map of
 * short ASCII keys to strings and numbers, an event or a reply a map of those and of small maps
 * and string arrays. Byte for byte what msgpackr gives under `msgpack.ts`'s options (a test
 * compares them), in far less code: each chat frame wakes the gateway with cold caches, and
 * msgpackr's general reader and writer were a third of the JavaScript of accepting one.
 * Anything else is declined (undefined) and goes to msgpackr, so both always agree.
 */

/** Strings longer than this (in UTF-16 units) are left to msgpackr. */
const MAX_STRING = 4096;
/** Nesting kept to what events have (`user.roles`); deeper values are left to msgpackr. */
const MAX_DEPTH = 3;

// ---- reading ----

/**
 * A map whose keys are ASCII fixstrs and whose values are nil, booleans, integers, float64s or
 * ASCII strings, decoded as msgpackr decodes it (`mapsAsObjects`); undefined for any other
 * bytes (nested values, non-ASCII text, trailing bytes, `__proto__`), which msgpackr then reads.
 */
export function unpackFlatMap(bytes: Uint8Array): Record<string, unknown> | undefined {
  const first = bytes[0];
  if (first === undefined || (first & 0xf0) !== 0x80) return undefined;
  const n = first & 0x0f;
  const out: Record<string, unknown> = {};
  let at = 1;
  for (let i = 0; i < n; i++) {
    const k = bytes[at];
    if (k === undefined || (k & 0xe0) !== 0xa0) return undefined;
    const key = ascii(bytes, at + 1, at + 1 + (k & 0x1f));
    if (key === undefined || key === '__proto__') return undefined;
    at += 1 + (k & 0x1f);
    const b = bytes[at++];
    if (b === undefined) return undefined;
    let value: unknown;
    let length = -1;
    if (b < 0x80) value = b;
    else if (b >= 0xe0) value = b - 0x100;
    else if ((b & 0xe0) === 0xa0) length = b & 0x1f;
    else if (b === 0xd9) length = bytes[at++] ?? -1;
    else if (b === 0xda) {
      length = at + 2 <= bytes.length ? (bytes[at]! << 8) | bytes[at + 1]! : -1;
      at += 2;
    } else if (b === 0xc0) value = null;
    else if (b === 0xc2) value = false;
    else if (b === 0xc3) value = true;
    else if (b >= 0xcc && b <= 0xce) {
      const size = 1 << (b - 0xcc);
      if (at + size > bytes.length) return undefined;
      value = 0;
      for (let j = 0; j < size; j++) value = (value as number) * 256 + bytes[at + j]!;
      at += size;
    } else if (b >= 0xd0 && b <= 0xd2) {
      const size = 1 << (b - 0xd0);
      if (at + size > bytes.length) return undefined;
      let v = 0;
      for (let j = 0; j < size; j++) v = v * 256 + bytes[at + j]!;
      const half = 2 ** (8 * size - 1);
      value = v >= half ? v - 2 * half : v;
      at += size;
    } else if (b === 0xcb) {
      if (at + 8 > bytes.length) return undefined;
      value = new DataView(bytes.buffer, bytes.byteOffset + at, 8).getFloat64(0);
      at += 8;
    } else return undefined;
    if (length >= 0) {
      value = ascii(bytes, at, at + length);
      if (value === undefined) return undefined;
      at += length;
    }
    out[key] = value;
  }
  return at === bytes.length ? out : undefined;
}

/** Bytes `from`..`to` as a string when they are all ASCII (and in range); else undefined. */
function ascii(bytes: Uint8Array, from: number, to: number): string | undefined {
  if (to > bytes.length || to - from > MAX_STRING) return undefined;
  for (let i = from; i < to; i++) if (bytes[i]! >= 0x80) return undefined;
  // One call, not a concatenation per character (which leaves a rope to flatten later).
  return String.fromCharCode.apply(null, bytes.subarray(from, to) as unknown as number[]);
}

// ---- writing ----

/** Where values are written: a chunk shared by the frames written from it (as msgpackr does). */
const CHUNK_BYTES = 16384;
let chunk = new Uint8Array(CHUNK_BYTES);
let view = new DataView(chunk.buffer);
/** Where the next frame starts, and where the one being written is. */
let offset = 0;
let position = 0;
/** The frame being written ran out of room in the chunk (rather than being declined). */
let full = false;

/**
 * `value` packed as msgpackr packs it (`useRecords: false`, `variableMapSize`,
 * `encodeUndefinedAsNil`), when it is made of plain objects, arrays, strings (well-formed, up to
 * MAX_STRING units), numbers, booleans, null and undefined, at most MAX_DEPTH deep; undefined
 * for anything else, which msgpackr then packs. The bytes must not be written to: they share
 * their buffer with other frames.
 */
export function packFlat(value: unknown): Uint8Array | undefined {
  position = offset;
  full = false;
  if (!write(value, 0)) {
    // Room for the worst case is checked per value: a frame that did not fit what is left of
    // the chunk is written again at the start of a new one.
    if (!full || offset === 0) return undefined;
    newChunk();
    full = false;
    if (!write(value, 0)) return undefined;
  }
  const bytes = chunk.subarray(offset, position);
  offset = position;
  if (chunk.length - offset < 1024) newChunk();
  return bytes;
}

function newChunk(): void {
  chunk = new Uint8Array(CHUNK_BYTES);
  view = new DataView(chunk.buffer);
  offset = position = 0;
}

function room(bytes: number): boolean {
  if (position + bytes <= chunk.length) return true;
  full = true;
  return false;
}

function write(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return writeString(value);
    case 'number':
      return writeNumber(value);
    case 'boolean':
      if (!room(1)) return false;
      chunk[position++] = value ? 0xc3 : 0xc2;
      return true;
    case 'undefined':
      if (!room(1)) return false;
      chunk[position++] = 0xc0;
      return true;
    case 'object': {
      if (value === null) {
        if (!room(1)) return false;
        chunk[position++] = 0xc0;
        return true;
      }
      if (depth >= MAX_DEPTH) return false;
      const constructor: unknown = value.constructor;
      if (constructor === Array) return writeArray(value as unknown[], depth);
      if (constructor === Object) return writeMap(value as Record<string, unknown>, depth);
      return false;
    }
    default:
      return false;
  }
}

function writeMap(map: Record<string, unknown>, depth: number): boolean {
  const keys = Object.keys(map);
  if (keys.length >= 0x10 || !room(1)) return false;
  chunk[position++] = 0x80 | keys.length;
  for (const key of keys) if (!writeString(key) || !write(map[key], depth + 1)) return false;
  return true;
}

function writeArray(array: unknown[], depth: number): boolean {
  if (array.length >= 0x10 || !room(1)) return false;
  chunk[position++] = 0x90 | array.length;
  for (let i = 0; i < array.length; i++) if (!write(array[i], depth + 1)) return false;
  return true;
}

function writeNumber(n: number): boolean {
  if (!room(9)) return false;
  if (n >>> 0 === n) {
    if (n < 0x80) chunk[position++] = n;
    else if (n < 0x100) {
      chunk[position++] = 0xcc;
      chunk[position++] = n;
    } else if (n < 0x10000) {
      chunk[position++] = 0xcd;
      chunk[position++] = n >> 8;
      chunk[position++] = n & 0xff;
    } else {
      chunk[position++] = 0xce;
      view.setUint32(position, n);
      position += 4;
    }
  } else if (n >> 0 === n) {
    if (n >= -0x20) chunk[position++] = 0x100 + n;
    else if (n >= -0x80) {
      chunk[position++] = 0xd0;
      chunk[position++] = n + 0x100;
    } else if (n >= -0x8000) {
      chunk[position++] = 0xd1;
      view.setInt16(position, n);
      position += 2;
    } else {
      chunk[position++] = 0xd2;
      view.setInt32(position, n);
      position += 4;
    }
  } else {
    chunk[position++] = 0xcb;
    view.setFloat64(position, n);
    position += 8;
  }
  return true;
}

/** UTF-8 with msgpackr's headers: fixstr, str8, str16 by the encoded length. */
function writeString(s: string): boolean {
  const units = s.length;
  // Lone surrogates are encoded differently by msgpackr's two string writers: leave them to it.
  if (units > MAX_STRING || !room(3 + units * 3)) return false;
  const header = units < 0x20 ? 1 : units < 0x100 ? 2 : 3;
  const from = position + header;
  let p = from;
  for (let i = 0; i < units; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) chunk[p++] = c;
    else if (c < 0x800) {
      chunk[p++] = (c >> 6) | 0xc0;
      chunk[p++] = (c & 0x3f) | 0x80;
    } else if ((c & 0xfc00) === 0xd800) {
      const d = s.charCodeAt(i + 1);
      if ((d & 0xfc00) !== 0xdc00) return false;
      c = 0x10000 + ((c & 0x3ff) << 10) + (d & 0x3ff);
      i++;
      chunk[p++] = (c >> 18) | 0xf0;
      chunk[p++] = ((c >> 12) & 0x3f) | 0x80;
      chunk[p++] = ((c >> 6) & 0x3f) | 0x80;
      chunk[p++] = (c & 0x3f) | 0x80;
    } else if ((c & 0xfc00) === 0xdc00) return false;
    else {
      chunk[p++] = (c >> 12) | 0xe0;
      chunk[p++] = ((c >> 6) & 0x3f) | 0x80;
      chunk[p++] = (c & 0x3f) | 0x80;
    }
  }
  const length = p - from;
  // The header is sized by the encoded length, as msgpackr's is once it moves the bytes.
  const need = length < 0x20 ? 1 : length < 0x100 ? 2 : 3;
  if (need !== header) chunk.copyWithin(position + need, from, p);
  if (need === 1) chunk[position] = 0xa0 | length;
  else if (need === 2) {
    chunk[position] = 0xd9;
    chunk[position + 1] = length;
  } else {
    chunk[position] = 0xda;
    chunk[position + 1] = length >> 8;
    chunk[position + 2] = length & 0xff;
  }
  position += need + length;
  return true;
}
