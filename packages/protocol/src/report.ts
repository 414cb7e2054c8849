import { ErrorCode, ProtocolError } from './errors.js';
import { pack, unpack } from './msgpack.js';
import { isPlainObject } from './validate.js';

/**
 * A gateway's periodic report to the aggregator for one partition of streams. Built for fan-in:
 * stream ids travel only when the gateway's set of streams changed (or every few reports, so a
 * restarted aggregator catches up); otherwise a report is a packed array of local counts.
 */
export interface GatewayReport {
  gateway: string;
  /** Increases by one per report from this gateway (per partition). */
  seq: number;
  /** The reporting interval, so the aggregator can expire a silent gateway. */
  intervalMs: number;
  /** Version of the stream list; `counts[i]` is the local count of `streams[i]` of this version. */
  dict: number;
  /** The stream list of version `dict`, when it changed or is being repeated. */
  streams?: string[];
  /** Local viewer counts, one per stream of the list. */
  counts: Uint32Array;
  /**
   * Chat messages this gateway accepted per stream of the list (same index as `counts`) since its
   * previous report for this partition. Absent means none; a gateway should leave it out then.
   */
  chat?: Uint32Array;
  /**
   * Viewer identities first seen on this gateway since the last report, by stream index, for the
   * aggregator to add to the unique counter. Gateways that add identities to the store themselves
   * (current ones) send `counted` instead; the aggregator still accepts this.
   */
  uniques?: [index: number, ids: string[]][];
  /**
   * Indexes of the streams whose unique counter this gateway added identities to, in the store,
   * since its previous report: the aggregator re-reads their unique counts.
   */
  counted?: number[];
  /** The gateway is shutting down: drop its counts now rather than at expiry. */
  bye?: boolean;
}

/**
 * A gateway sends its stream list (`streams`) in at least every this many reports of a
 * partition, even unchanged, so an aggregator that starts (or takes a partition over) can read
 * every gateway's counts within this many report intervals; it waits that long before trusting
 * its sums.
 */
export const REPORT_LIST_EVERY = 3;

/**
 * Aggregators publish every stream with viewers at least once per this many count intervals, even
 * unchanged; a gateway that hears nothing for `TOTALS_STALE_INTERVALS` count intervals marks the
 * stream's figures stale (and keeps them).
 */
export const TOTALS_REFRESH_INTERVALS = 5;
export const TOTALS_STALE_INTERVALS = 3 * TOTALS_REFRESH_INTERVALS;

/** Reaction counts of one window from one gateway, only for streams that had reactions. */
export interface ReactionReport {
  gateway: string;
  streams: string[];
  counts: Record<string, number>[];
}

interface WireReport {
  v: 1;
  g: string;
  s: number;
  i: number;
  d: number;
  l?: string[];
  c: Uint8Array;
  /** `chat`, like `c`; omitted when absent or all zero, which is the common case. */
  m?: Uint8Array;
  u?: [number, string[]][];
  k?: number[];
  b?: true;
}

/** Little-endian u32s, so the bytes are the same whatever the sender's platform. */
function u32Bytes(values: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setUint32(i * 4, values[i] ?? 0, true);
  return bytes;
}

function fromU32Bytes(bytes: Uint8Array): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Uint32Array(bytes.length / 4);
  for (let i = 0; i < values.length; i++) values[i] = view.getUint32(i * 4, true);
  return values;
}

function anyNonZero(values: Uint32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) return true;
  return false;
}

export function encodeReport(report: GatewayReport): Uint8Array {
  const wire: WireReport = {
    v: 1,
    g: report.gateway,
    s: report.seq,
    i: report.intervalMs,
    d: report.dict,
    c: u32Bytes(report.counts),
  };
  if (report.chat && anyNonZero(report.chat)) wire.m = u32Bytes(report.chat);
  if (report.streams) wire.l = report.streams;
  if (report.uniques && report.uniques.length > 0) wire.u = report.uniques;
  if (report.counted && report.counted.length > 0) wire.k = report.counted;
  if (report.bye) wire.b = true;
  return pack(wire);
}

function bad(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError(ErrorCode.BadFrame, `bad gateway report: ${message}`, { cause });
}

export function decodeReport(bytes: Uint8Array): GatewayReport {
  let value: unknown;
  try {
    value = unpack(bytes);
  } catch (cause) {
    throw bad('not msgpack', cause);
  }
  if (!isPlainObject(value) && !(typeof value === 'object' && value !== null))
    throw bad('not a map');
  const w = value as Partial<WireReport>;
  if (w.v !== 1 || typeof w.g !== 'string' || typeof w.s !== 'number' || typeof w.d !== 'number') {
    throw bad('missing header fields');
  }
  if (!(w.c instanceof Uint8Array) || w.c.length % 4 !== 0) throw bad('counts are not u32s');
  const counts = fromU32Bytes(w.c);
  if (w.m !== undefined && (!(w.m instanceof Uint8Array) || w.m.length !== w.c.length)) {
    throw bad('chat counts are not u32s matching counts');
  }
  if (w.l !== undefined && (!Array.isArray(w.l) || w.l.length !== counts.length)) {
    throw bad('stream list does not match counts');
  }
  const report: GatewayReport = {
    gateway: w.g,
    seq: w.s,
    intervalMs: typeof w.i === 'number' ? w.i : 1000,
    dict: w.d,
    counts,
  };
  if (w.m) report.chat = fromU32Bytes(w.m);
  if (w.l) report.streams = w.l;
  if (Array.isArray(w.u)) report.uniques = w.u;
  if (Array.isArray(w.k) && w.k.every((i) => Number.isInteger(i))) report.counted = w.k;
  if (w.b === true) report.bye = true;
  return report;
}

export function encodeReactionReport(report: ReactionReport): Uint8Array {
  return pack({ v: 1, g: report.gateway, l: report.streams, c: report.counts });
}

export function decodeReactionReport(bytes: Uint8Array): ReactionReport {
  let value: unknown;
  try {
    value = unpack(bytes);
  } catch (cause) {
    throw bad('not msgpack', cause);
  }
  const w = value as { v?: unknown; g?: unknown; l?: unknown; c?: unknown };
  if (w.v !== 1 || typeof w.g !== 'string' || !Array.isArray(w.l) || !Array.isArray(w.c)) {
    throw bad('missing reaction fields');
  }
  if (w.l.length !== w.c.length) throw bad('reaction streams and counts differ in length');
  return { gateway: w.g, streams: w.l as string[], counts: w.c as Record<string, number>[] };
}
