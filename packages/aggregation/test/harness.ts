import { MemoryBroker, Subjects, partitionOf, type Bus } from '@roar/bus';
import {
  encodeReactionReport,
  encodeReport,
  unpack,
  type GatewayReport,
  type ReactionsEvent,
  type ViewersEvent,
} from '@roar/protocol';
import { createMemoryStore, type Store } from '@roar/store';
import { Aggregator, type AggregatorOptions } from '../src/index.js';

/** Lets every queued microtask run: bus deliveries and memory-store promises. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class Clock {
  t = 1_000_000;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

interface PartitionState {
  seq: number;
  dict: number;
  list: string[];
  sinceList: number;
}

export interface ReportOptions {
  uniques?: Record<string, string[]>;
  /** Chat messages accepted per stream since the previous report; streams not in `counts` are ignored. */
  chat?: Record<string, number>;
  /** Leave the stream list out even when it changed (a lost report). */
  omitList?: boolean;
  bye?: boolean;
  /** Send with this seq instead of the next one (the state does not advance). */
  seq?: number;
}

/** Behaves like a gateway on the report subjects: dict versions, list repeats, seq. */
export class FakeGateway {
  readonly #state = new Map<number, PartitionState>();

  constructor(
    readonly id: string,
    readonly bus: Bus,
    readonly subjects: Subjects,
    readonly partitions: number,
    readonly intervalMs = 1000,
  ) {}

  /** Reports `counts` (in key order) for partition `p`. */
  report(p: number, counts: Record<string, number>, options: ReportOptions = {}): GatewayReport {
    let st = this.#state.get(p);
    if (!st) this.#state.set(p, (st = { seq: 0, dict: 0, list: [], sinceList: 0 }));
    const list = Object.keys(counts);
    for (const s of list)
      if (partitionOf(s, this.partitions) !== p) throw new Error(`${s} not in ${p}`);
    const changed = list.length !== st.list.length || list.some((s, i) => s !== st.list[i]);
    if (changed) {
      st.dict++;
      st.list = list;
      st.sinceList = 0;
    }
    const sendList = !options.omitList && (changed || st.sinceList >= 2);
    st.sinceList = sendList ? 0 : st.sinceList + 1;
    const seq = options.seq ?? ++st.seq;
    const report: GatewayReport = {
      gateway: this.id,
      seq,
      intervalMs: this.intervalMs,
      dict: st.dict,
      counts: Uint32Array.from(list.map((s) => counts[s] ?? 0)),
    };
    if (sendList) report.streams = list;
    if (options.chat) report.chat = Uint32Array.from(list.map((s) => options.chat?.[s] ?? 0));
    if (options.uniques) {
      report.uniques = Object.entries(options.uniques).map(([s, ids]) => [list.indexOf(s), ids]);
    }
    if (options.bye) report.bye = true;
    this.bus.publish(this.subjects.report(p), encodeReport(report));
    return report;
  }

  /** Reports every stream of `counts` in its own partition. */
  reportAll(counts: Record<string, number>, options: ReportOptions = {}): void {
    const byPartition = new Map<number, Record<string, number>>();
    for (const [s, c] of Object.entries(counts)) {
      const p = partitionOf(s, this.partitions);
      byPartition.set(p, { ...byPartition.get(p), [s]: c });
    }
    for (let p = 0; p < this.partitions; p++) this.report(p, byPartition.get(p) ?? {}, options);
  }

  reactions(p: number, counts: Record<string, Record<string, number>>): void {
    const streams = Object.keys(counts);
    const payload = encodeReactionReport({
      gateway: this.id,
      streams,
      counts: streams.map((s) => counts[s] ?? {}),
    });
    this.bus.publish(this.subjects.reactionReport(p), payload);
  }
}

export interface Published<E> {
  stream: string;
  event: E;
}

/** Records what aggregators publish on the per-stream subjects. */
export class Observer {
  readonly viewers: Published<ViewersEvent>[] = [];
  readonly reactions: Published<ReactionsEvent>[] = [];

  constructor(bus: Bus, subjects: Subjects) {
    const record = (payload: Uint8Array, subject: string): void => {
      const parsed = subjects.parseStream(subject);
      const event = unpack(payload) as ViewersEvent | ReactionsEvent;
      if (!parsed) return;
      if (event.type === 'viewers') this.viewers.push({ stream: parsed.stream, event });
      else this.reactions.push({ stream: parsed.stream, event });
    };
    bus.subscribe(subjects.stream('*', 'viewers'), record);
    bus.subscribe(subjects.stream('*', 'reactions'), record);
  }

  totals(stream: string): number[] {
    return this.viewers.filter((v) => v.stream === stream).map((v) => v.event.total);
  }

  last(stream: string): ViewersEvent | undefined {
    return this.viewers.filter((v) => v.stream === stream).at(-1)?.event;
  }

  clear(): void {
    this.viewers.length = 0;
    this.reactions.length = 0;
  }
}

/** One aggregator owning every partition, gateways on their own bus connections, a clock. */
export function setup(options: Partial<AggregatorOptions> & { gateways?: number } = {}) {
  const broker = new MemoryBroker();
  const subjects = new Subjects(`t${Math.random().toString(36).slice(2, 8)}`);
  const clock = new Clock();
  const store: Store = options.store ?? createMemoryStore({ historyCapacity: 10 });
  const partitions = options.partitions ?? 1;
  const agg = new Aggregator({
    warmupMs: 0,
    // `step` moves the clock in single jumps with one tick each; a test of stall detection sets it.
    stallMs: Number.MAX_SAFE_INTEGER,
    ...options,
    bus: options.bus ?? broker.connect(),
    store,
    subjects,
    partitions,
    now: clock.now,
  });
  for (let p = 0; p < partitions; p++) agg.own(p);
  const gateways = Array.from(
    { length: options.gateways ?? 3 },
    (_, i) => new FakeGateway(`gw-${i}`, broker.connect(), subjects, partitions),
  );
  const observer = new Observer(broker.connect(), subjects);
  /** Advances the clock, ticks, and lets the results arrive. */
  const step = async (ms: number): Promise<void> => {
    await settle();
    clock.advance(ms);
    agg.tick();
    await settle();
  };
  return { broker, subjects, clock, store, agg, gateways, observer, step, partitions };
}
