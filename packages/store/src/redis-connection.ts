import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { leaseScripts } from './redis-leases.js';
import { liveStateScripts } from './redis-live-state.js';
import { moderationScripts } from './redis-moderation.js';
import { qaScripts } from './redis-qa.js';
import type { RedisClient } from './redis-shared.js';
import { streamStateScripts } from './redis-stream-state.js';
// Polls
import { pollScripts } from './redis-polls.js';

// The store's one connection, to a single Redis or to a Redis Cluster; `RedisStore` owns it.

const CLUSTER_SCHEME = 'redis-cluster://';

/** Options of every connection to a Redis server, one or a cluster's. */
function serverOptions(commandTimeoutMs: number): RedisOptions {
  return {
    // Commands in flight when the connection drops fail at once instead of waiting for
    // reconnect attempts...
    maxRetriesPerRequest: 0,
    // ...and are not sent again afterwards: the caller was already told they failed.
    autoResendUnfulfilledCommands: false,
    commandTimeout: commandTimeoutMs,
    // A connect that hangs (dropped packets) must not hold up the next attempt for long.
    connectTimeout: 2000,
    // disconnect() during an outage arms a timer to destroy the already dead socket; the
    // default 2 s of it would hold a shutting-down process open.
    disconnectTimeout: 200,
  };
}

interface ClusterUrl {
  seeds: { host: string; port: number }[];
  username?: string;
  password?: string;
}

/**
 * `redis-cluster://[user:password@]h1:p1,h2:p2` → the seed nodes and the credentials every node
 * is sent (ACL user and password, percent-decoded); anything else is one server's URL.
 */
function parseClusterUrl(url: string): ClusterUrl | undefined {
  if (!url.startsWith(CLUSTER_SCHEME)) return undefined;
  const rest = url.slice(CLUSTER_SCHEME.length);
  const at = rest.lastIndexOf('@');
  const [user, password] = at < 0 ? [] : rest.slice(0, at).split(/:(.*)/s);
  const seeds = rest
    .slice(at + 1)
    .split(',')
    .map((seed) => {
      const match = /^([^:/,@\s]+):(\d{1,5})$/.exec(seed.trim());
      const port = Number(match?.[2]);
      if (!match?.[1] || !(port > 0 && port < 65536)) {
        throw new Error(`RedisStoreOptions.url: bad cluster node "${seed}" (want host:port)`);
      }
      return { host: match[1], port };
    });
  return {
    seeds,
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
  };
}

/**
 * Connects to `url` (`redis://` one server, `redis-cluster://` a cluster) with the store's
 * fail-fast options and its Lua scripts registered.
 */
export function connect(url: string, commandTimeoutMs: number): RedisClient {
  // ioredis runs these with EVALSHA and falls back to EVAL when a restarted Redis has lost its
  // script cache, so they survive an outage without being reloaded by hand.
  const scripts = {
    ...streamStateScripts,
    ...leaseScripts,
    ...moderationScripts,
    ...liveStateScripts,
    ...qaScripts,
    // Polls
    ...pollScripts,
  };
  const cluster = parseClusterUrl(url);
  if (!cluster) {
    return new Redis(url, {
      ...serverOptions(commandTimeoutMs),
      // Fail fast rather than queue: a caller must hear "unavailable" now, not after an outage.
      enableOfflineQueue: false,
      // Never gives up: the store is long-lived, and Redis coming back must be noticed.
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      scripts,
    });
  }
  const { seeds, ...credentials } = cluster;
  return new Cluster(seeds, {
    redisOptions: { ...serverOptions(commandTimeoutMs), ...credentials },
    enableOfflineQueue: false,
    clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    // A master that died fails its slots' commands until its replica is promoted
    // (cluster-node-timeout plus an election); the slot map is read again this often, and at
    // once on every MOVED or dead connection, so the store follows the promotion within it.
    slotsRefreshInterval: 1000,
    slotsRefreshTimeout: commandTimeoutMs,
    scripts,
  });
}
