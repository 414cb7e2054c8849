import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { MSGPACKR_OPTIONS } from './msgpack.js';
import { packFlat, unpackFlatMap } from './msgpack-flat.js';

const packr = new Packr(MSGPACKR_OPTIONS);

const STRINGS = [
  '',
  'a',
  'x'.repeat(31),
  'x'.repeat(32),
  'x'.repeat(255),
  'x'.repeat(256),
  'x'.repeat(4096),
  'héllo',
  'é'.repeat(20),
  'é'.repeat(200),
  '日本語のチャット',
  '日'.repeat(100),
  'gg 🎉🔥 ok',
  '🎉'.repeat(70),
  'tab\there',
];
const NUMBERS = [
  0,
  -0,
  1,
  31,
  127,
  128,
  255,
  256,
  65535,
  65536,
  2 ** 32 - 1,
  2 ** 32,
  -1,
  -32,
  -33,
  -128,
  -129,
  -32768,
  -32769,
  -(2 ** 31),
  -(2 ** 31) - 1,
  1.5,
  -2.25,
  1_764_800_000_123,
  NaN,
  Infinity,
  Number.MAX_SAFE_INTEGER,
];

describe('msgpack-flat', () => {
  it('packs what it takes byte for byte as msgpackr does', () => {
    const values: unknown[] = [
      ...STRINGS,
      ...NUMBERS,
      true,
      false,
      null,
      undefined,
      [],
      {},
      ['a', 1, null],
      { type: 'ack', ref: 7, id: 'mk3x9abcde1', ts: 1_764_800_000_123 },
      { type: 'ack', ref: 7, held: true, missing: undefined },
      {
        type: 'chat',
        id: 'mk3x9abcde1',
        ts: 1_764_800_000_123,
        user: { id: 'u1', name: 'Asha', roles: ['moderator', 'subscriber'] },
        text: 'gg 🎉',
        origin: 'gw-1',
        seq: 4123,
      },
      { type: 'batch', stream: 'final', seq: 3 },
      ...STRINGS.map((text) => ({ type: 'chat', text })),
      ...NUMBERS.map((n) => ({ n, list: [n, -n] })),
    ];
    for (const value of values) {
      const flat = packFlat(value);
      expect(flat, JSON.stringify(value)).toBeDefined();
      expect(Array.from(flat!), JSON.stringify(value)).toEqual(Array.from(packr.pack(value)));
    }
  });

  it('declines what msgpackr alone packs', () => {
    const deep = { a: { b: { c: { d: 1 } } } };
    const wide = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i]));
    for (const value of [
      deep,
      wide,
      Array.from({ length: 16 }, () => 0),
      'x'.repeat(4097),
      'lone \ud800 surrogate',
      'lone \udc00 surrogate',
      new Uint8Array(3),
      new Map(),
      Object.create(null),
      10n,
      () => 1,
    ]) {
      expect(packFlat(value)).toBeUndefined();
    }
  });

  it('keeps earlier frames intact while writing many more', () => {
    const frames: [Uint8Array, string][] = [];
    for (let i = 0; i < 2000; i++) {
      const text = 'é'.repeat(i % 700);
      frames.push([packFlat({ i, text })!, text]);
    }
    for (const [i, [bytes, text]] of frames.entries())
      expect(packr.unpack(bytes)).toEqual({ i, text });
  });

  it('reads flat maps as msgpackr reads them', () => {
    const maps = [
      { type: 'chat', ref: 3, stream: 'final', text: 'six!' },
      { type: 'chat', stream: 'final', text: 'x'.repeat(300) },
      { type: 'ping' },
      {},
      ...NUMBERS.map((n) => ({ type: 'chat', ref: n })),
      { a: true, b: false, c: null, d: '' },
    ];
    for (const map of maps) {
      const bytes = packr.pack(map);
      expect(unpackFlatMap(bytes), JSON.stringify(map)).toEqual(packr.unpack(bytes));
    }
    // int8/16/32 and uint8/16/32 as other encoders write them (msgpackr picks the smallest).
    const wide = Uint8Array.of(
      0x84,
      0xa1,
      0x61,
      0xd0,
      0x05,
      0xa1,
      0x62,
      0xd1,
      0xff,
      0xfe,
      0xa1,
      0x63,
      0xd2,
      0x80,
      0,
      0,
      0,
      0xa1,
      0x64,
      0xcd,
      0,
      7,
    );
    expect(unpackFlatMap(wide)).toEqual(packr.unpack(wide));
    expect(unpackFlatMap(wide)).toEqual({ a: 5, b: -2, c: -(2 ** 31), d: 7 });
  });

  it('declines what msgpackr alone reads, or refuses', () => {
    const cases = [
      packr.pack({ type: 'mod', action: { type: 'clear' } }),
      packr.pack({ type: 'chat', text: 'héllo' }),
      packr.pack({ type: 'chat', ids: [1, 2] }),
      packr.pack(['chat']),
      packr.pack('chat'),
      Uint8Array.of(0x81, 0xa1, 0x61, 0xca, 0, 0, 0, 0),
      Uint8Array.of(0x81, 0xa1, 0x61, 0xcf, 0, 0, 0, 0, 0, 0, 0, 1),
      Uint8Array.of(0x81, 0xa9, ...new TextEncoder().encode('__proto__'), 0x01),
      Uint8Array.of(0x81, 0xa1, 0x61, 0x01, 0x00),
      Uint8Array.of(0x82, 0xa1, 0x61, 0x01),
      Uint8Array.of(0x81, 0xa1, 0x61, 0xa5, 0x61),
      Uint8Array.of(0x81, 0xa1, 0x61, 0xcd, 0x01),
      new Uint8Array(0),
    ];
    for (const bytes of cases) expect(unpackFlatMap(bytes)).toBeUndefined();
  });
});
