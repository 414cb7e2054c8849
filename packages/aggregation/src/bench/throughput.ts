import { MemoryBroker, Subjects } from '@roar/bus';
import { decodeReport, encodeReport } from '@roar/protocol';
import { createMemoryStore } from '@roar/store';
import { Aggregator } from '../aggregator.js';

export interface ThroughputOptions {
  /** Gateways reporting once per simulated second. Default 1000. */
  gateways?: number;
  /** Streams in each gateway's report. Default 10,000. */
  streams?: number;
  /** Wall-clock bound of the measured phase. Default 10. */
  seconds?: number;
  /** Distinct streams across all gateways. Default 5 × streams. */
  universe?: number;
  /** Share of reports whose stream list changed (1% of its streams replaced). Default 0.01. */
  churn?: number;
  /** New viewer identities per report. Default 20. */
  idsPerReport?: number;
  /** Share of each report's streams with chat messages since the last report. Default 0. */
  chat?: number;
}

export interface ThroughputResult {
  reports: number;
  entries: number;
  seconds: number;
  reportsPerSecond: number;
  entriesPerSecond: number;
  /** Reports that carried their stream list (every 3rd, plus the changed ones). */
  listReports: number;
  /** Wall time to take in every gateway's first report (what a new owner pays once). */
  coldStartSeconds: number;
  meanReportBytes: number;
  publishes: number;
  /** Chat messages summed over the whole run, cold start included. */
  chatMessages: number;
  streams: number;
  heapUsedMB: number;
  /** Typed arrays (the per-gateway slots and counts) live outside the JS heap. */
  arrayBuffersMB: number;
  rssMB: number;
}

/** Lists per group of gateways: a realistic spread of overlapping stream sets without holding one list per gateway. */
const GROUPS = 16;
const SEQ_MARK = 0xf1f2f3f4;
const DICT_MARK = 0xe1e2e3e4;
const GATEWAY_WIDTH = 9;

/** Deterministic, so runs compare. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 0x100000000;
  };
}

function find(bytes: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('template marker not found');
}

/**
 * One encoded report reused for every gateway of a group: the gateway id, seq and dict are
 * written into the bytes before each decode, so the decoder sees exactly what a gateway sends
 * (uint32 seq and dict instead of shorter ints: a byte or two more per report).
 */
class Template {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  readonly #gateway: number;
  readonly #seq: number;
  readonly #dict: number;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const u32 = (v: number): number[] => [
      0xce,
      v >>> 24,
      (v >>> 16) & 0xff,
      (v >>> 8) & 0xff,
      v & 0xff,
    ];
    this.#seq = find(bytes, [0xa1, 0x73, ...u32(SEQ_MARK)]) + 3;
    this.#dict = find(bytes, [0xa1, 0x64, ...u32(DICT_MARK)]) + 3;
    this.#gateway = find(bytes, [0xa1, 0x67, 0xa0 | GATEWAY_WIDTH]) + 3;
  }

  stamp(gateway: number, seq: number, dict: number): Uint8Array {
    const id = gateway.toString().padStart(GATEWAY_WIDTH - 3, '0');
    for (let i = 0; i < GATEWAY_WIDTH - 3; i++)
      this.bytes[this.#gateway + 3 + i] = id.charCodeAt(i);
    this.#view.setUint32(this.#seq, seq);
    this.#view.setUint32(this.#dict, dict);
    return this.bytes;
  }
}

interface Group {
  /** [list A, list B] × [counts 0, counts 1], and the same without the list. */
  withList: Template[][];
  countsOnly: Template[];
}

function buildGroups(o: Required<ThroughputOptions>): Group[] {
  const rand = random(42);
  const universe = Array.from(
    { length: o.universe },
    (_, i) => `live-${(i * 2654435761).toString(36).padStart(7, '0')}-${i.toString(36)}`,
  );
  const counts = [0, 1].map(() => new Uint32Array(o.streams));
  for (let i = 0; i < o.streams; i++) {
    // Long-tailed local counts; every other stream moves by one between reports.
    counts[0]![i] = Math.floor(1 / (rand() + 0.001));
    counts[1]![i] = counts[0]![i]! + (i % 2);
  }
  // A generator of its own, so that the lists are the same with chat or without.
  const chatRand = random(99);
  const chat = new Uint32Array(o.streams);
  for (let i = 0; i < o.streams; i++) {
    if (chatRand() < o.chat) chat[i] = 1 + Math.floor(chatRand() * 5);
  }
  const groups: Group[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const start = Math.floor(rand() * o.universe);
    const listA = Array.from({ length: o.streams }, (_, i) => universe[(start + i) % o.universe]!);
    const listB = listA.slice();
    for (let i = 0; i < Math.ceil(o.streams / 100); i++) {
      listB[Math.floor(rand() * o.streams)] = universe[Math.floor(rand() * o.universe)]!;
    }
    const ids = Array.from({ length: o.idsPerReport }, (_, i) => `u:${g}:${i}`);
    const encode = (streams: string[] | undefined, c: Uint32Array): Template =>
      new Template(
        encodeReport({
          gateway: 'gw-'.padEnd(GATEWAY_WIDTH, '0'),
          seq: SEQ_MARK,
          intervalMs: 1000,
          dict: DICT_MARK,
          counts: c,
          ...(o.chat > 0 ? { chat } : {}),
          uniques: ids.length > 0 ? [[g % o.streams, ids]] : [],
          ...(streams ? { streams } : {}),
        }),
      );
    groups.push({
      withList: [listA, listB].map((list) => counts.map((c) => encode(list, c))),
      countsOnly: counts.map((c) => encode(undefined, c)),
    });
  }
  return groups;
}

interface GatewayState {
  seq: number;
  dict: number;
  list: number;
  sinceList: number;
}

/**
 * Feeds synthetic gateway reports through `decodeReport` and `Aggregator.ingest` (the bus
 * handler's path) with the aggregator ticking every 50 simulated ms, as fast as one core allows,
 * for at most `seconds` of wall time after a cold start that takes every gateway's list in.
 */
export async function measureThroughput(
  options: ThroughputOptions = {},
): Promise<ThroughputResult> {
  const o: Required<ThroughputOptions> = {
    gateways: options.gateways ?? 1000,
    streams: options.streams ?? 10_000,
    seconds: options.seconds ?? 10,
    universe: options.universe ?? 5 * (options.streams ?? 10_000),
    churn: options.churn ?? 0.01,
    idsPerReport: options.idsPerReport ?? 20,
    chat: options.chat ?? 0,
  };
  const groups = buildGroups(o);
  let now = 0;
  const agg = new Aggregator({
    bus: new MemoryBroker().connect(),
    store: createMemoryStore({ historyCapacity: 1 }),
    subjects: new Subjects('bench'),
    partitions: 1,
    warmupMs: 0,
    now: () => now,
  });
  agg.own(0);
  const rand = random(7);
  const states: GatewayState[] = Array.from({ length: o.gateways }, () => ({
    seq: 0,
    dict: 1,
    list: 0,
    sinceList: 2,
  }));
  const ticksPerRound = 20;
  const perTick = Math.max(1, Math.ceil(o.gateways / ticksPerRound));
  let reports = 0;
  let entries = 0;
  let bytes = 0;
  let listReports = 0;

  const report = (g: number): void => {
    const st = states[g]!;
    const group = groups[g % GROUPS]!;
    st.seq++;
    let sendList = st.sinceList >= 2;
    if (st.seq > 1 && rand() < o.churn) {
      st.dict++;
      st.list ^= 1;
      sendList = true;
    }
    st.sinceList = sendList ? 0 : st.sinceList + 1;
    const variant = st.seq & 1;
    const template = sendList ? group.withList[st.list]![variant]! : group.countsOnly[variant]!;
    const payload = template.stamp(g, st.seq, st.dict);
    agg.ingest(0, decodeReport(payload));
    reports++;
    entries += o.streams;
    bytes += payload.length;
    if (sendList) listReports++;
  };
  /** One simulated second: every gateway reports once, the aggregator ticks 20 times. */
  const round = async (deadline: number): Promise<boolean> => {
    for (let g = 0; g < o.gateways; g++) {
      report(g);
      if ((g + 1) % perTick === 0 || g === o.gateways - 1) {
        now += 1000 / ticksPerRound;
        agg.tick();
        // Let store calls settle, as the event loop would between network reads.
        await new Promise((resolve) => setImmediate(resolve));
        if (performance.now() >= deadline) return false;
      }
    }
    return true;
  };

  const coldStart = performance.now();
  await round(Number.POSITIVE_INFINITY);
  const coldStartSeconds = (performance.now() - coldStart) / 1000;
  reports = entries = bytes = listReports = 0;
  const started = performance.now();
  const deadline = started + o.seconds * 1000;
  while (await round(deadline));
  const seconds = (performance.now() - started) / 1000;
  const memory = process.memoryUsage();
  return {
    reports,
    entries,
    seconds,
    reportsPerSecond: reports / seconds,
    entriesPerSecond: entries / seconds,
    listReports,
    coldStartSeconds,
    meanReportBytes: bytes / Math.max(1, reports),
    publishes: agg.stats.publishes,
    chatMessages: agg.stats.chatMessages,
    streams: agg.stats.streams,
    heapUsedMB: memory.heapUsed / 2 ** 20,
    arrayBuffersMB: memory.arrayBuffers / 2 ** 20,
    rssMB: memory.rss / 2 ** 20,
  };
}
