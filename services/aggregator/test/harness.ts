import { connectNatsBus, partitionOf, type NatsBus, type Subjects } from '@roar/bus';
import { encodeReport, unpack } from '@roar/protocol';
import { silentLogger, type Logger } from '@roar/runtime';
import { ManagedProcess, NatsServer, RedisServer, waitFor } from '@roar/testkit';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startAggregatorService, type AggregatorService } from '../src/aggregator-service.js';
import { loadAggregatorConfig } from '../src/config.js';

/** Fast timers so tests see totals, expiry and takeovers in well under a second. */
export const FAST: Readonly<Record<string, string>> = {
  ROAR_AGG_HOST: '127.0.0.1',
  ROAR_AGG_PORT: '0',
  ROAR_REPORT_INTERVAL_MS: '100',
  ROAR_COUNT_INTERVAL_MS: '100',
  ROAR_REACTION_WINDOW_MS: '100',
  ROAR_AGG_LEASE_TTL_MS: '600',
};

let n = 0;
/** A prefix no other test (or earlier run against the same servers) uses. */
export function uniquePrefix(): string {
  return `t${Date.now().toString(36)}${(n++).toString(36)}`;
}

/** An aggregator service in this process, with the fast timers and `env` on top. */
export async function startService(
  env: Record<string, string>,
  log: Logger = silentLogger,
): Promise<AggregatorService> {
  return startAggregatorService(loadAggregatorConfig({ ...FAST, ...env }), log);
}

const AGGREGATOR_MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** An aggregator as its own process (the built dist), to be killed, paused and restarted. */
export interface AggregatorProcess {
  readonly process: ManagedProcess;
  /** Its /readyz and /metrics port. */
  readonly port: number;
  readonly pid: number;
}

/** Starts the built aggregator with the fast timers and `env` on top; resolves once it listens. */
export async function aggregatorProcess(env: Record<string, string>): Promise<AggregatorProcess> {
  if (!existsSync(AGGREGATOR_MAIN)) {
    throw new Error(`${AGGREGATOR_MAIN} is missing: run \`npm run build\` first`);
  }
  const proc = new ManagedProcess(process.execPath, [AGGREGATOR_MAIN], {
    ...process.env,
    ...FAST,
    ...env,
  });
  const [, port] = await proc.waitForOutput(/"msg":"aggregator listening".*"port":(\d+)/, 15_000);
  return { process: proc, port: Number(port), pid: proc.child.pid ?? 0 };
}

/** One stream name per partition 0..partitions-1, so tests can place streams where they want. */
export function streamsByPartition(partitions: number, tag: string): string[] {
  const found = new Array<string | undefined>(partitions);
  let left = partitions;
  for (let i = 0; left > 0 && i < 100_000; i++) {
    const name = `${tag}-${i}`;
    const p = partitionOf(name, partitions);
    if (found[p] === undefined) {
      found[p] = name;
      left--;
    }
  }
  if (left > 0) throw new Error(`no stream name found for some of ${partitions} partitions`);
  return found as string[];
}

interface PartitionDict {
  version: number;
  streams: string[];
  sinceList: number;
  seq: number;
}

/**
 * A gateway as the aggregator sees it: real encoded reports on the real report subjects, one per
 * partition per interval, with the stream list sent on change and every third report (as the
 * gateway's reporter does, so a new aggregator must wait for it).
 */
export class FakeGateway {
  readonly #counts = new Map<string, number>();
  readonly #ids = new Map<string, string[]>();
  readonly #dicts = new Map<number, PartitionDict>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly id: string,
    readonly bus: NatsBus,
    readonly subjects: Subjects,
    readonly partitions: number,
    readonly intervalMs = 100,
  ) {}

  /** Sets the local viewer count of `stream` (0 keeps the stream listed). */
  set(stream: string, count: number): this {
    this.#counts.set(stream, count);
    return this;
  }

  /** Viewer identities to send with the next report, for the unique counter. */
  addIds(stream: string, ids: string[]): this {
    this.#ids.set(stream, [...(this.#ids.get(stream) ?? []), ...ids]);
    return this;
  }

  start(): this {
    this.#timer ??= setInterval(() => this.report(), this.intervalMs);
    this.report();
    return this;
  }

  /** Stops reporting without a word, as a crashed gateway does. */
  silence(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Stops reporting and says goodbye on every partition it reported. */
  bye(): void {
    this.silence();
    this.report(true);
  }

  report(bye = false): void {
    const byPartition = new Map<number, string[]>();
    for (const p of this.#dicts.keys()) byPartition.set(p, []);
    for (const stream of this.#counts.keys()) {
      const p = partitionOf(stream, this.partitions);
      byPartition.set(p, [...(byPartition.get(p) ?? []), stream]);
    }
    for (const [p, streams] of byPartition) {
      let dict = this.#dicts.get(p);
      if (!dict) this.#dicts.set(p, (dict = { version: 0, streams: [], sinceList: 0, seq: 0 }));
      const changed = streams.join(',') !== dict.streams.join(',');
      if (changed) {
        dict.version++;
        dict.streams = streams;
      }
      const sendList = changed || dict.sinceList >= 2;
      dict.sinceList = sendList ? 0 : dict.sinceList + 1;
      const uniques: [number, string[]][] = [];
      streams.forEach((s, i) => {
        const ids = this.#ids.get(s);
        if (ids && ids.length > 0) uniques.push([i, ids]);
        this.#ids.delete(s);
      });
      this.bus.publish(
        this.subjects.report(p),
        encodeReport({
          gateway: this.id,
          seq: ++dict.seq,
          intervalMs: this.intervalMs,
          dict: dict.version,
          ...(sendList ? { streams } : {}),
          counts: Uint32Array.from(streams, (s) => (bye ? 0 : (this.#counts.get(s) ?? 0))),
          ...(uniques.length > 0 ? { uniques } : {}),
          ...(bye ? { bye: true } : {}),
        }),
      );
    }
  }
}

export interface SeenViewers {
  stream: string;
  total: number;
  uniques: number | undefined;
  peak: number | undefined;
  at: number;
}

/** Every viewers event published under a prefix, decoded, in arrival order. */
export class ViewerWatch {
  readonly events: SeenViewers[] = [];
  readonly bus: NatsBus;

  private constructor(bus: NatsBus, subjects: Subjects) {
    this.bus = bus;
    bus.subscribe(subjects.stream('*', 'viewers'), (payload, subject) => {
      const stream = subjects.parseStream(subject)?.stream;
      const event = unpack(payload) as Record<string, unknown>;
      if (stream === undefined || event.type !== 'viewers' || typeof event.total !== 'number') {
        throw new Error(`unexpected message on ${subject}: ${JSON.stringify(event)}`);
      }
      this.events.push({
        stream,
        total: event.total,
        uniques: typeof event.uniques === 'number' ? event.uniques : undefined,
        peak: typeof event.peak === 'number' ? event.peak : undefined,
        at: Date.now(),
      });
    });
  }

  static async open(url: string, subjects: Subjects): Promise<ViewerWatch> {
    const bus = await connectNatsBus({ servers: url, name: 'viewer-watch' });
    const watch = new ViewerWatch(bus, subjects);
    await bus.flush();
    return watch;
  }

  of(stream: string, since = 0): SeenViewers[] {
    return this.events.filter((e) => e.stream === stream && e.at >= since);
  }

  latest(stream: string): SeenViewers | undefined {
    return this.of(stream).at(-1);
  }

  /** Waits until the latest event of `stream` satisfies `test`. */
  async until(
    stream: string,
    test: (e: SeenViewers) => boolean,
    what: string,
    timeoutMs = 5000,
  ): Promise<SeenViewers> {
    let match: SeenViewers | undefined;
    try {
      await waitFor(
        () => {
          const last = this.latest(stream);
          if (last && test(last)) match = last;
          return match !== undefined;
        },
        { timeoutMs, message: `${what} on ${stream}` },
      );
    } catch (error) {
      const latest = JSON.stringify(this.latest(stream));
      throw new Error(`${(error as Error).message} (latest event: ${latest})`, { cause: error });
    }
    return match!;
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}

export interface Readiness {
  status: number;
  owned: number[];
  nats: boolean;
  redis: boolean;
}

export async function readyz(port: number): Promise<Readiness> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  const body = (await res.json()) as Omit<Readiness, 'status'>;
  return { status: res.status, ...body };
}

/** The value of an unlabelled-by-us metric (default labels allowed) from /metrics. */
export async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const match = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm'));
  if (!match) throw new Error(`metric ${name} not found`);
  return Number(match[1]);
}

export interface Brokers {
  readonly nats: NatsServer;
  readonly redis: RedisServer;
  /** Runs after the current test, last added first. */
  cleanup: (() => Promise<unknown> | void)[];
}

/**
 * One real nats-server and redis-server for the test file, started before its tests and stopped
 * after them; after each test its cleanups run, and a broker a test stopped is started again, so a
 * failure while a server was down does not take the rest of the file with it.
 */
export function useBrokers(): Brokers {
  let nats: NatsServer | undefined;
  let redis: RedisServer | undefined;
  const brokers: Brokers = {
    get nats() {
      if (!nats) throw new Error('brokers are used before beforeAll ran');
      return nats;
    },
    get redis() {
      if (!redis) throw new Error('brokers are used before beforeAll ran');
      return redis;
    },
    cleanup: [],
  };
  beforeAll(async () => {
    [nats, redis] = await Promise.all([NatsServer.start(), RedisServer.start()]);
  });
  afterAll(async () => {
    await Promise.all([nats?.[Symbol.asyncDispose](), redis?.[Symbol.asyncDispose]()]);
  });
  afterEach(async () => {
    if (nats && !nats.running) await nats.start();
    if (redis && !redis.running) await redis.start();
    for (const step of brokers.cleanup.splice(0).reverse()) await step();
  });
  return brokers;
}
