import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.js';
import { pack } from './msgpack.js';
import {
  decodeReactionReport,
  decodeReport,
  encodeReactionReport,
  encodeReport,
} from './report.js';

describe('gateway reports', () => {
  it('round-trips a report with its stream list and uniques', () => {
    const report = {
      gateway: 'gw-1',
      seq: 4,
      intervalMs: 1000,
      dict: 2,
      streams: ['a', 'b', 'c'],
      counts: Uint32Array.of(0, 5, 4_000_000_000),
      uniques: [[1, ['u1', 'anon-xyz']]] as [number, string[]][],
    };
    expect(decodeReport(encodeReport(report))).toEqual(report);
  });

  it('round-trips the streams a gateway added identities for', () => {
    const report = {
      gateway: 'gw-1',
      seq: 5,
      intervalMs: 1000,
      dict: 2,
      counts: Uint32Array.of(1, 2, 3),
      counted: [0, 2],
    };
    expect(decodeReport(encodeReport(report))).toEqual(report);
    const bad = pack({ v: 1, g: 'g', s: 1, i: 1000, d: 1, c: new Uint8Array(4), k: ['x'] });
    expect(decodeReport(bad).counted).toBeUndefined();
  });

  it('round-trips a counts-only report and a goodbye', () => {
    const report = {
      gateway: 'g',
      seq: 1,
      intervalMs: 500,
      dict: 1,
      counts: Uint32Array.of(7),
      bye: true,
    };
    expect(decodeReport(encodeReport(report))).toEqual(report);
  });

  it('round-trips chat counts, and leaves them out when absent or all zero', () => {
    const report = {
      gateway: 'g',
      seq: 2,
      intervalMs: 1000,
      dict: 1,
      streams: ['a', 'b', 'c'],
      counts: Uint32Array.of(3, 0, 9),
      chat: Uint32Array.of(0, 12, 4_000_000_000),
    };
    expect(decodeReport(encodeReport(report))).toEqual(report);
    const { chat: _chat, ...without } = report;
    const bare = encodeReport(without);
    expect(decodeReport(bare)).toEqual(without);
    const zeros = encodeReport({ ...without, chat: new Uint32Array(3) });
    expect(Array.from(zeros)).toEqual(Array.from(bare));
    expect(decodeReport(zeros)).not.toHaveProperty('chat');
  });

  it('rejects malformed chat counts', () => {
    const base = { v: 1, g: 'g', s: 1, d: 1, c: new Uint8Array(8) };
    for (const m of [new Uint8Array(4), new Uint8Array(12), new Uint8Array(7), [1, 2], 'x']) {
      expect(() => decodeReport(pack({ ...base, m }))).toThrow(/chat counts/);
    }
    expect(decodeReport(pack({ ...base, m: new Uint8Array(8) })).chat).toEqual(new Uint32Array(2));
  });

  it('rejects malformed reports', () => {
    expect(() => decodeReport(new Uint8Array([0xc1]))).toThrow(ProtocolError);
    expect(() => decodeReport(pack({ v: 1, g: 'g', s: 1, d: 1, c: new Uint8Array(3) }))).toThrow(
      /u32/,
    );
    expect(() =>
      decodeReport(pack({ v: 1, g: 'g', s: 1, d: 1, c: new Uint8Array(4), l: ['a', 'b'] })),
    ).toThrow(/match/);
  });

  it('round-trips reaction reports', () => {
    const r = { gateway: 'g', streams: ['a'], counts: [{ '🔥': 3, '👏': 1 }] };
    expect(decodeReactionReport(encodeReactionReport(r))).toEqual(r);
    expect(() => decodeReactionReport(pack({ v: 1, g: 'g', l: ['a'], c: [] }))).toThrow(
      ProtocolError,
    );
  });
});
