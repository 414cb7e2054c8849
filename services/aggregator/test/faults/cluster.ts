import { createRedisStore, type RedisStore } from '@roar/store';
import { ManagedProcess, TestClient, waitFor } from '@roar/testkit';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  aggregatorProcess,
  readyz,
  uniquePrefix,
  useBrokers,
  type AggregatorProcess,
} from '../harness.js';

// The count's fault suite (issue 11, findings 1, 5, 6, 9): gateways and aggregators as separate
// processes over a real nats-server and redis-server, viewers as real WebSocket clients with
// known identities, so every figure has a known truth.

const GATEWAY_MAIN = fileURLToPath(new URL('../../../gateway/dist/main.js', import.meta.url));

export interface Timers {
  reportMs: number;
  countMs: number;
  leaseTtlMs: number;
  drainWindowMs: number;
}

export const QUICK: Timers = { reportMs: 200, countMs: 200, leaseTtlMs: 1000, drainWindowMs: 0 };

export interface GatewayProcess {
  readonly process: ManagedProcess;
  readonly port: number;
  readonly wsUrl: string;
}

/** What a viewer of the cluster is: a socket, the gateway it is on and who it is. */
export interface Viewer {
  client: TestClient;
  gateway: GatewayProcess;
  anon: string;
}

export interface ViewersBody {
  total: number;
  uniques?: number;
  peak?: number;
  stale?: boolean;
}

/**
 * One cluster per test: processes are killed after the test whatever happened. Uses the file's
 * brokers (`useBrokers`), which must be called at the top level of the test file.
 */
export class Cluster {
  readonly prefix = uniquePrefix();
  readonly gateways: GatewayProcess[] = [];
  readonly aggregators: AggregatorProcess[] = [];
  readonly viewers = new Set<Viewer>();
  #store: RedisStore | undefined;

  constructor(
    readonly brokers: ReturnType<typeof useBrokers>,
    readonly timers: Timers = QUICK,
    /** More variables: for every process (`shared`), or for gateways or aggregators only. */
    readonly env: Partial<Record<'shared' | 'gateway' | 'aggregator', Record<string, string>>> = {},
  ) {
    brokers.cleanup.push(() => this.dispose());
  }

  #shared(): Record<string, string> {
    return {
      ROAR_NATS_URL: this.brokers.nats.url,
      ROAR_REDIS_URL: this.brokers.redis.url,
      ROAR_PREFIX: this.prefix,
      ROAR_AGG_PARTITIONS: '1',
      ROAR_REPORT_INTERVAL_MS: String(this.timers.reportMs),
      ROAR_COUNT_INTERVAL_MS: String(this.timers.countMs),
      ROAR_REACTION_WINDOW_MS: '100',
      ROAR_LOG_LEVEL: 'info',
      ...this.env.shared,
    };
  }

  /** A gateway process; `port` restarts one on the port a killed one had. */
  async gateway(port = 0): Promise<GatewayProcess> {
    if (!existsSync(GATEWAY_MAIN)) throw new Error(`${GATEWAY_MAIN} is missing: run npm run build`);
    const proc = new ManagedProcess(process.execPath, [GATEWAY_MAIN], {
      ...process.env,
      ...this.#shared(),
      ROAR_MODE: 'gateway',
      ROAR_HOST: '127.0.0.1',
      ROAR_PORT: String(port),
      ROAR_WORKERS: '1',
      ROAR_JWT_SECRET: 'fault-suite-secret-that-is-long-enough-for-hs256',
      ROAR_TICK_MS: '20',
      // Every viewer here comes from loopback: each stands for a device with its own address.
      ROAR_ANON_IDS_PER_IP: '1000000',
      ROAR_STREAM_LINGER_MS: '200',
      ROAR_DRAIN_WINDOW_MS: String(this.timers.drainWindowMs),
      // The suite shares a busy machine: keep the degradation ladder out of the measurements.
      ROAR_LADDER_CPU: '64',
      ROAR_LADDER_LOOP_DELAY_MS: '5000',
      ROAR_LADDER_FANOUT_MS: '5000',
      ...this.env.gateway,
    });
    const [, bound] = await proc.waitForOutput(/"msg":"gateway listening".*"port":(\d+)/, 20_000);
    const gw = { process: proc, port: Number(bound), wsUrl: `ws://127.0.0.1:${bound}/ws` };
    this.gateways.push(gw);
    return gw;
  }

  async aggregator(id: string): Promise<AggregatorProcess> {
    const agg = await aggregatorProcess({
      ...this.#shared(),
      ROAR_AGG_ID: id,
      ROAR_AGG_LEASE_TTL_MS: String(this.timers.leaseTtlMs),
      ...this.env.aggregator,
    });
    this.aggregators.push(agg);
    return agg;
  }

  /** The aggregator that owns partition 0 now (asked over /readyz), waiting for one. */
  async owner(among: AggregatorProcess[], timeoutMs = 15_000): Promise<AggregatorProcess> {
    let found: AggregatorProcess | undefined;
    await waitFor(
      async () => {
        for (const agg of among) {
          if (!agg.process.running) continue;
          const r = await readyz(agg.port).catch(() => undefined);
          if (r?.owned.includes(0)) found = agg;
        }
        return found !== undefined;
      },
      { timeoutMs, message: 'an aggregator owning partition 0' },
    );
    return found!;
  }

  /** Joins `n` anonymous viewers `<tag>-<i>` to `stream` on `gw`, in parallel. */
  async join(gw: GatewayProcess, stream: string, tag: string, n: number): Promise<Viewer[]> {
    return Promise.all(
      Array.from({ length: n }, (_, i) =>
        this.joinOne(gw, stream, `${tag}-${String(i).padStart(6, '0')}`),
      ),
    );
  }

  async joinOne(gw: GatewayProcess, stream: string, anon: string): Promise<Viewer> {
    const client = await TestClient.connect(gw.wsUrl, { query: { anon } });
    await client.waitForMessage((m) => m.type === 'welcome', 10_000, 'welcome');
    const joined = await client.request({ type: 'join', stream }, 10_000);
    if (joined.type !== 'joined') throw new Error(`join failed: ${JSON.stringify(joined)}`);
    const viewer = { client, gateway: gw, anon };
    this.viewers.add(viewer);
    void client.closed.then(() => this.viewers.delete(viewer));
    return viewer;
  }

  /** Viewers whose socket is open now: the truth of the count. */
  open(): number {
    let n = 0;
    for (const v of this.viewers) if (v.client.isOpen) n++;
    return n;
  }

  /** `GET /v1/streams/{stream}/viewers` on a gateway; undefined when it does not answer 200. */
  async shown(gw: GatewayProcess, stream: string): Promise<ViewersBody | undefined> {
    const res = await fetch(`http://127.0.0.1:${gw.port}/v1/streams/${stream}/viewers`).catch(
      () => undefined,
    );
    if (!res || res.status !== 200) return undefined;
    return (await res.json()) as ViewersBody;
  }

  /** Waits until every running gateway shows `test` for the stream. */
  async untilShown(
    stream: string,
    test: (body: ViewersBody) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<void> {
    let last: (ViewersBody | undefined)[] = [];
    await waitFor(
      async () => {
        const live = this.gateways.filter((g) => g.process.running);
        last = await Promise.all(live.map((g) => this.shown(g, stream)));
        return last.every((b) => b !== undefined && test(b));
      },
      { timeoutMs, message: `${what} (last shown: ${JSON.stringify(last)})` },
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message} (last shown: ${JSON.stringify(last)})`);
    });
  }

  /** The store as the aggregators write it, for the stored figures. */
  async store(): Promise<RedisStore> {
    if (!this.#store) {
      this.#store = createRedisStore({
        url: this.brokers.redis.url,
        prefix: this.prefix,
        historyCapacity: 1,
      });
      await this.#store.ready(5000);
    }
    return this.#store;
  }

  async dispose(): Promise<void> {
    for (const v of this.viewers) v.client.socket.terminate();
    for (const p of [...this.gateways, ...this.aggregators]) {
      // A stopped process would not die of SIGKILL until continued.
      if (p.process.running) p.process.child.kill('SIGCONT');
      await p.process.stop('SIGKILL');
    }
    await this.#store?.close();
  }
}

/**
 * Polls `sample` every `everyMs` until `stop()`, keeping every result: the record a test asserts
 * the truth over (no 0 shown, drift bound...).
 */
export class Poller<T> {
  readonly samples: T[] = [];
  #running = true;
  readonly #done: Promise<void>;

  constructor(sample: () => Promise<T | undefined>, everyMs = 50, maxSamples = 10_000) {
    this.#done = (async () => {
      while (this.#running && this.samples.length < maxSamples) {
        // A failed sample (a process being restarted) is no sample; the deadline still holds.
        const value = await sample().catch(() => undefined);
        if (value !== undefined) this.samples.push(value);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  async stop(): Promise<T[]> {
    this.#running = false;
    await this.#done;
    return this.samples;
  }
}
