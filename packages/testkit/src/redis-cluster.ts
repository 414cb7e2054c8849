import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ManagedProcess, requireBinary } from './child-process.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** Masters, each owning an equal share of the 16,384 slots; default 3 (Redis's minimum). */
  masters?: number;
  /** Replicas per master, for failover tests; default 0. */
  replicasPerMaster?: number;
  /**
   * `cluster-node-timeout`: how long a master may be unreachable before its replica takes over;
   * default 2000 ms (Redis's own default, 15 s, would make a failover test wait that long; 1 s
   * saw spurious failovers on a loaded 2-core host).
   */
  nodeTimeoutMs?: number;
}

/** One `redis-server` of a cluster, with its role as last read by `roles()`. */
export interface RedisClusterNode {
  readonly port: number;
  readonly url: string;
  readonly running: boolean;
}

class Node implements RedisClusterNode {
  readonly port: number;
  readonly busPort: number;
  process: ManagedProcess | undefined;

  constructor(port: number, busPort: number) {
    this.port = port;
    this.busPort = busPort;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }
}

/**
 * A real Redis Cluster on loopback: `redis-server --cluster-enabled yes` per node, joined by
 * `redis-cli --cluster create`, keeping nothing on disk but each node's `nodes.conf` (in a
 * temporary directory removed on dispose). `start()` resolves once every node reports
 * `cluster_state:ok` and all slots are covered. Dispose with `await using`.
 */
export class RedisCluster {
  readonly #nodes: Node[];
  readonly #dir: string;
  readonly #options: Required<RedisClusterOptions>;

  private constructor(nodes: Node[], dir: string, options: Required<RedisClusterOptions>) {
    this.#nodes = nodes;
    this.#dir = dir;
    this.#options = options;
  }

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    requireBinary('redis-server', 'redis-server');
    requireBinary('redis-cli', 'redis-tools');
    const resolved: Required<RedisClusterOptions> = {
      masters: options.masters ?? 3,
      replicasPerMaster: options.replicasPerMaster ?? 0,
      nodeTimeoutMs: options.nodeTimeoutMs ?? 2000,
    };
    if (resolved.masters < 3) throw new Error('a Redis Cluster needs at least 3 masters');
    const dir = await mkdtemp(join(tmpdir(), 'roar-redis-cluster-'));
    const count = resolved.masters * (1 + resolved.replicasPerMaster);
    const nodes: Node[] = [];
    // Two ports per node: clients' and the cluster bus (`cluster-port`, Redis 7), chosen rather
    // than the default port + 10000, which may be past 65535 or taken.
    for (let i = 0; i < count; i++) nodes.push(new Node(await freePort(), await freePort()));
    const cluster = new RedisCluster(nodes, dir, resolved);
    try {
      await Promise.all(nodes.map((node) => cluster.#launch(node)));
      await run(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...nodes.map((n) => `127.0.0.1:${n.port}`),
          '--cluster-replicas',
          String(resolved.replicasPerMaster),
          '--cluster-yes',
        ],
        { timeout: 30_000 },
      );
      await cluster.waitHealthy(30_000);
      return cluster;
    } catch (error) {
      await cluster[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** Every node, masters and replicas, in start order. */
  get nodes(): readonly RedisClusterNode[] {
    return this.#nodes;
  }

  /** Seed URL for `createRedisStore`: `redis-cluster://host:port,host:port,...`. */
  get url(): string {
    return `redis-cluster://${this.#nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
  }

  /** `host:port` of every node, for ioredis `Cluster`. */
  get seeds(): { host: string; port: number }[] {
    return this.#nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  /** Ports of the nodes that are masters now, as a running node sees it. */
  async masters(): Promise<number[]> {
    const lines = (await this.#cli(this.#anyRunning(), 'cluster', 'nodes')).split('\n');
    return lines
      .map((line) => line.split(' '))
      .filter((f) => /\bmaster\b/.test(f[2] ?? '') && !/fail/.test(f[2] ?? ''))
      .map((f) => Number((f[1] ?? '').split(/[:@]/)[1]));
  }

  /** Which master serves `key` now (by `CLUSTER KEYSLOT` and `CLUSTER SHARDS`-free parsing). */
  async masterOf(key: string): Promise<number> {
    const node = this.#anyRunning();
    const slot = Number(await this.#cli(node, 'cluster', 'keyslot', key));
    const lines = (await this.#cli(node, 'cluster', 'nodes')).split('\n');
    for (const fields of lines.map((line) => line.split(' '))) {
      if (!/\bmaster\b/.test(fields[2] ?? '') || /fail/.test(fields[2] ?? '')) continue;
      for (const range of fields.slice(8)) {
        const [from, to] = range.split('-').map(Number);
        if (from !== undefined && slot >= from && slot <= (to ?? from)) {
          return Number((fields[1] ?? '').split(/[:@]/)[1]);
        }
      }
    }
    throw new Error(`no master serves slot ${slot} of ${key}`);
  }

  /** Kills the node on `port` without warning (SIGKILL), as a crashed host would. */
  async kill(port: number): Promise<void> {
    const node = this.#nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no node on port ${port}`);
    await node.process?.stop('SIGKILL');
  }

  /** Resolves once every running node says `cluster_state:ok` with all 16,384 slots served. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => {
        for (const node of this.#nodes.filter((n) => n.running)) {
          const info = await this.#cli(node, 'cluster', 'info').catch(() => '');
          if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) return false;
        }
        return true;
      },
      { timeoutMs, intervalMs: 100, message: 'the Redis Cluster to report cluster_state:ok' },
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#nodes.map((n) => n.process?.stop('SIGTERM')));
    await rm(this.#dir, { recursive: true, force: true });
  }

  async #launch(node: Node): Promise<void> {
    node.process = new ManagedProcess('redis-server', [
      '--bind',
      '127.0.0.1',
      '--port',
      String(node.port),
      '--cluster-enabled',
      'yes',
      '--cluster-port',
      String(node.busPort),
      '--cluster-config-file',
      join(this.#dir, `nodes-${node.port}.conf`),
      '--cluster-node-timeout',
      String(this.#options.nodeTimeoutMs),
      '--dir',
      this.#dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
    ]);
    await node.process.waitForOutput(/Ready to accept connections/);
  }

  #anyRunning(): Node {
    const node = this.#nodes.find((n) => n.running);
    if (!node) throw new Error('no node of the cluster is running');
    return node;
  }

  async #cli(node: Node, ...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-p', String(node.port), ...args], {
      timeout: 5000,
    });
    return stdout.trim();
  }
}
