import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, requireBinary } from './child-process.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

export interface NatsRegionSpec {
  /** The NATS cluster's name, which is also its gateway name: `[a-z0-9-]+`. */
  name: string;
  /** nats-server processes in the region's cluster; default 2. */
  servers?: number;
  /** Configuration text added to each of the region's servers (e.g. `no_auth_user: a`). */
  config?: string;
}

export interface NatsSuperClusterOptions {
  /** One region is a plain NATS cluster (no gateway links); two or more a super-cluster. */
  regions: readonly NatsRegionSpec[];
  /** Configuration text every server gets (e.g. the accounts block, which must be the same). */
  shared?: string;
  /**
   * JetStream on every server, each with a store directory of its own; `start()` then also waits
   * for a meta leader.
   */
  jetstream?: boolean;
}

/** One server's copy of a JetStream stream, as its `/jsz` reports it. */
export interface StreamCopy {
  messages: number;
  first_seq: number;
  last_seq: number;
}

/** One gateway connection's traffic, as `/gatewayz` reports it. */
export interface GatewayTraffic {
  msgs: number;
  bytes: number;
}

class Server {
  readonly region: string;
  readonly index: number;
  readonly port: number;
  readonly clusterPort: number;
  readonly gatewayPort: number;
  readonly monitorPort: number;
  process: ManagedProcess | undefined;
  /** Its configuration file (its ports, and its store under the cluster's directory). */
  config = '';

  constructor(region: string, index: number, ports: readonly number[]) {
    this.region = region;
    this.index = index;
    [this.port, this.clusterPort, this.gatewayPort, this.monitorPort] = ports as [
      number,
      number,
      number,
      number,
    ];
  }

  get name(): string {
    return `${this.region}-${this.index}`;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }
}

/**
 * A NATS super-cluster on loopback: one cluster of `nats-server`s per region, the clusters joined
 * by gateway links (interest-only, NATS's default once interest is known); with one region, a
 * plain cluster. Every server has a client, route, gateway and monitoring port of its own and is
 * named `<region>-<index>` (its `server_name`, as JetStream reports leaders). `start()` resolves
 * once every server has its routes, an outbound gateway to every other region and, with
 * `jetstream`, a JetStream meta leader. Dispose with `await using`.
 */
export class NatsSuperCluster {
  readonly #servers: Server[];
  readonly #dir: string;

  private constructor(servers: Server[], dir: string) {
    this.#servers = servers;
    this.#dir = dir;
  }

  static async start(options: NatsSuperClusterOptions): Promise<NatsSuperCluster> {
    requireBinary('nats-server', 'nats-server');
    if (options.regions.length < 1) throw new Error('a cluster needs a region');
    // Ports are chosen before the servers start (each config names its peers'), and a server's
    // own outbound route or gateway connections may take one of them as their ephemeral source
    // port meanwhile: such a start fails with EADDRINUSE and is tried again on fresh ports.
    for (let attempt = 1; ; attempt++) {
      try {
        return await NatsSuperCluster.#startOnce(options);
      } catch (error) {
        if (attempt >= 3 || !/address already in use/.test((error as Error).message)) throw error;
      }
    }
  }

  static async #startOnce(options: NatsSuperClusterOptions): Promise<NatsSuperCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'roar-nats-super-'));
    const servers: Server[] = [];
    for (const region of options.regions) {
      if (!/^[a-z0-9-]+$/.test(region.name)) throw new Error(`bad region name ${region.name}`);
      for (let i = 0; i < (region.servers ?? 2); i++) {
        const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
        servers.push(new Server(region.name, i, ports));
      }
    }
    const cluster = new NatsSuperCluster(servers, dir);
    try {
      const configs = options.regions.map((region) => ({
        region,
        text: (server: Server) => cluster.#config(server, region, options),
      }));
      await Promise.all(
        servers.map(async (server) => {
          const spec = configs.find((c) => c.region.name === server.region);
          const path = join(dir, `${server.region}-${server.index}.conf`);
          await writeFile(path, spec?.text(server) ?? '');
          server.config = path;
          await cluster.#launch(server);
        }),
      );
      await cluster.waitLinked();
      if (options.jetstream) await cluster.waitJetStream();
      return cluster;
    } catch (error) {
      await cluster[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** The regions' names, in the order given. */
  get regions(): string[] {
    return [...new Set(this.#servers.map((s) => s.region))];
  }

  /** Client URLs of one region's servers, comma-separated (as `ROAR_NATS_URL` takes them). */
  url(region: string): string {
    return this.#of(region)
      .map((s) => s.url)
      .join(',');
  }

  /** Client URL of one server of a region, to put a client on a chosen server. */
  serverUrl(region: string, index: number): string {
    const server = this.#of(region)[index];
    if (!server) throw new Error(`region ${region} has no server ${index}`);
    return server.url;
  }

  /**
   * Messages and bytes that `from`'s running servers sent over their gateway links to `to`,
   * summed (from each server's `/gatewayz`). Counters start at the link's connect.
   */
  async sent(from: string, to: string): Promise<GatewayTraffic> {
    const total = { msgs: 0, bytes: 0 };
    for (const server of this.#of(from).filter((s) => s.running)) {
      const response = await fetch(`http://127.0.0.1:${server.monitorPort}/gatewayz`);
      const body = (await response.json()) as {
        outbound_gateways?: Record<
          string,
          { connection?: { out_msgs?: number; out_bytes?: number } }
        >;
      };
      const link = body.outbound_gateways?.[to]?.connection;
      total.msgs += link?.out_msgs ?? 0;
      total.bytes += link?.out_bytes ?? 0;
    }
    return total;
  }

  /** The servers' names (`<region>-<index>`), every region's, in start order. */
  get serverNames(): string[] {
    return this.#servers.map((s) => s.name);
  }

  /** Client URLs of every running server of every region, comma-separated. */
  get runningUrl(): string {
    return this.#servers
      .filter((s) => s.running)
      .map((s) => s.url)
      .join(',');
  }

  /** Kills one server by name (SIGKILL by default: no goodbye to its routes or clients). */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.#named(name).process?.stop(signal);
  }

  /**
   * Starts a killed server again with its own configuration and store, as a supervisor would
   * restart it; resolves once it is ready for clients (not once it has caught up).
   */
  async restart(name: string): Promise<void> {
    const server = this.#named(name);
    if (server.running) throw new Error(`${name} is running`);
    await this.#launch(server);
  }

  /**
   * Each running server's own copy of `stream` (`/jsz`): its message count and sequence range, as
   * that node stores them, whatever its stream leader says. A server without a copy is left out.
   */
  async streamCopies(stream: string): Promise<Record<string, StreamCopy>> {
    const copies: Record<string, StreamCopy> = {};
    for (const server of this.#servers.filter((s) => s.running)) {
      const response = await fetch(
        `http://127.0.0.1:${server.monitorPort}/jsz?accounts=true&streams=true`,
      ).catch(() => undefined);
      if (!response?.ok) continue;
      const body = (await response.json()) as {
        account_details?: {
          stream_detail?: {
            name: string;
            state: StreamCopy;
          }[];
        }[];
      };
      for (const account of body.account_details ?? [])
        for (const detail of account.stream_detail ?? [])
          if (detail.name === stream) {
            const { messages, first_seq, last_seq } = detail.state;
            copies[server.name] = { messages, first_seq, last_seq };
          }
    }
    return copies;
  }

  /**
   * Resolves once every running server reports the same JetStream meta leader (`/jsz`): the
   * cluster can create streams. Needs the `jetstream` option.
   */
  async waitJetStream(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      async () => {
        const leaders = new Set<string>();
        for (const server of this.#servers.filter((s) => s.running)) {
          const response = await fetch(`http://127.0.0.1:${server.monitorPort}/jsz`).catch(
            () => undefined,
          );
          if (!response?.ok) return false;
          const body = (await response.json()) as { meta_cluster?: { leader?: string } };
          const leader = body.meta_cluster?.leader;
          if (!leader) return false;
          leaders.add(leader);
        }
        return leaders.size === 1;
      },
      { timeoutMs, intervalMs: 100, message: 'a JetStream meta leader on every server' },
    );
  }

  /** Kills every server of a region at once (SIGKILL), as the loss of a region would. */
  async killRegion(region: string): Promise<void> {
    await Promise.all(this.#of(region).map((s) => s.process?.stop('SIGKILL')));
  }

  /**
   * Resolves once every running server has a route to each running peer of its region and an
   * outbound gateway to every other live region.
   */
  async waitLinked(timeoutMs = 20_000): Promise<void> {
    const monitor = async <T>(server: Server, endpoint: string): Promise<T | undefined> => {
      const url = `http://127.0.0.1:${server.monitorPort}/${endpoint}`;
      const response = await fetch(url).catch(() => undefined);
      return response?.ok ? ((await response.json()) as T) : undefined;
    };
    await waitFor(
      async () => {
        const running = this.#servers.filter((s) => s.running);
        const live = new Set(running.map((s) => s.region));
        for (const server of running) {
          const peers = running.filter((s) => s.region === server.region).length - 1;
          const routes = await monitor<{ num_routes?: number }>(server, 'routez');
          if ((routes?.num_routes ?? -1) < peers) return false;
          if (live.size < 2) continue;
          const body = await monitor<{ outbound_gateways?: object }>(server, 'gatewayz');
          const linked = Object.keys(body?.outbound_gateways ?? {});
          for (const region of live) {
            if (region !== server.region && !linked.includes(region)) return false;
          }
        }
        return true;
      },
      { timeoutMs, intervalMs: 100, message: 'every server to be routed and linked' },
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#servers.map((s) => s.process?.stop('SIGTERM')));
    await rm(this.#dir, { recursive: true, force: true });
  }

  #named(name: string): Server {
    const server = this.#servers.find((s) => s.name === name);
    if (!server) throw new Error(`no server ${name} (have ${this.serverNames.join(', ')})`);
    return server;
  }

  #of(region: string): Server[] {
    const servers = this.#servers.filter((s) => s.region === region);
    if (servers.length === 0) throw new Error(`no region ${region}`);
    return servers;
  }

  #config(server: Server, region: NatsRegionSpec, options: NatsSuperClusterOptions): string {
    const peers = this.#of(region.name);
    const gateways = this.regions.map((name) => {
      const urls = this.#of(name).map((s) => `"nats://127.0.0.1:${s.gatewayPort}"`);
      return `    { name: ${name}, urls: [${urls.join(', ')}] }`;
    });
    // One region has nobody to link to: no gateway block (a plain cluster).
    const gateway =
      this.regions.length < 2
        ? []
        : [
            `gateway {`,
            `  name: ${server.region}`,
            `  host: 127.0.0.1`,
            `  port: ${server.gatewayPort}`,
            `  gateways: [`,
            ...gateways,
            `  ]`,
            `}`,
          ];
    const jetstream = options.jetstream
      ? [`jetstream {`, `  store_dir: "${join(this.#dir, 'store', server.name)}"`, `}`]
      : [];
    return [
      `server_name: ${server.name}`,
      `host: 127.0.0.1`,
      `port: ${server.port}`,
      `http: "127.0.0.1:${server.monitorPort}"`,
      `cluster {`,
      `  name: ${server.region}`,
      `  host: 127.0.0.1`,
      `  port: ${server.clusterPort}`,
      `  routes: [${peers.map((p) => `"nats-route://127.0.0.1:${p.clusterPort}"`).join(', ')}]`,
      `}`,
      ...gateway,
      ...jetstream,
      options.shared ?? '',
      region.config ?? '',
      '',
    ].join('\n');
  }

  async #launch(server: Server): Promise<void> {
    server.process = new ManagedProcess('nats-server', ['-c', server.config]);
    await server.process.waitForOutput(/Server is ready/);
  }
}

/**
 * `create` (a stream's creation, or an open that creates one), again while JetStream refuses
 * with 'no suitable peers for placement': right after a cluster's start its meta leader may not
 * yet place several copies (seen in 1 of 18 runs), as a restarted process would try again.
 */
export async function untilPlaced<T>(create: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await create();
    } catch (error) {
      if (!/no suitable peers/i.test(String(error)) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** What `waitForStreamReplicas` reads of a JetStream stream's info (`jsm.streams.info`). */
export interface StreamReplicaInfo {
  config: { num_replicas: number };
  cluster?: { leader?: string; replicas?: { current: boolean }[] };
}

/**
 * Waits until a stream has `replicas` copies: a leader and `replicas - 1` followers that are
 * current. Resolves with the leader's server name.
 */
export async function waitForStreamReplicas(
  info: () => Promise<StreamReplicaInfo>,
  replicas: number,
  timeoutMs = 15_000,
): Promise<string> {
  let leader = '';
  await waitFor(
    async () => {
      const { config, cluster } = await info();
      const followers = cluster?.replicas ?? [];
      leader = cluster?.leader ?? '';
      return (
        config.num_replicas === replicas &&
        leader !== '' &&
        followers.length === replicas - 1 &&
        followers.every((r) => r.current)
      );
    },
    { timeoutMs, intervalMs: 100, message: `${replicas} current replicas` },
  );
  return leader;
}
