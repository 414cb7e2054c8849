import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { Identity } from '../base/identity.js';
import { BackendHooks } from '../hooks/index.js';
import { readHooksConfig } from '../base/hooks-config.js';
import { EnvReader } from '@roar/runtime';

export interface JoinTossOptions {
  /** Joins at the toss. */
  joins: number;
  /** Distinct viewers among them (fewer than `joins`: the same viewer on a second device). */
  viewers: number;
  /** Over how long the joins arrive (uniformly at random). */
  spreadMs: number;
  /** How long the app takes to answer one request, whatever its size. */
  appLatencyMs: number;
}

export interface JoinTossResult {
  joins: number;
  viewers: number;
  requests: number;
  checks: number;
  requestsPer10kJoins: number;
  meanChecksPerRequest: number;
  maxChecksPerRequest: number;
  p99DecisionMs: number;
  elapsedMs: number;
  /** Requests when every viewer joins again within the TTL (a deploy's reconnect herd). */
  rejoinRequests: number;
}

/**
 * Backend requests per 10,000 joins at the toss: `joins` join decisions by `viewers` viewers for
 * one stream, arriving over `spreadMs`, through the gateway's real join hook (cache, coalescing,
 * batching at the default 15 ms / 500 checks) against an app on a loopback HTTP port that
 * answers every check "allowed, for 60 s" after `appLatencyMs`. One gateway shard's view: a
 * deployment's requests are this times the shards the toss lands on.
 * Run: `node services/gateway/dist/bench/join-toss.js` after `npm run build`.
 */
export async function measureJoinToss(o: JoinTossOptions): Promise<JoinTossResult> {
  let requests = 0;
  let checks = 0;
  let maxChecks = 0;
  const app = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { checks: unknown[] };
      requests++;
      checks += body.checks.length;
      maxChecks = Math.max(maxChecks, body.checks.length);
      const results = body.checks.map(() => ({ allow: true, ttlS: 60 }));
      setTimeout(() => res.end(JSON.stringify({ results })), o.appLatencyMs);
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/join`;
  const hooks = new BackendHooks(
    readHooksConfig(new EnvReader({ ROAR_HOOK_JOIN_URL: url })),
    new Registry(),
  );
  const join = hooks.join;
  if (!join) throw new Error('join hook not configured');
  const identities: Identity[] = Array.from({ length: o.viewers }, (_, i) => ({
    key: `u:v${i}`,
    userId: `v${i}`,
    name: `v${i}`,
    roles: [],
    anonymous: false,
  }));
  const arrivals = Array.from({ length: o.joins }, (_, i) => ({
    at: Math.random() * o.spreadMs,
    // Every viewer joins once; the rest are second devices of random viewers.
    identity: identities[i < o.viewers ? i : Math.floor(Math.random() * o.viewers)] as Identity,
  })).sort((a, b) => a.at - b.at);
  const latencies: number[] = [];
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (const a of arrivals) {
    const wait = a.at - (performance.now() - started);
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const t = performance.now();
    const decided = join.decide(a.identity, 'final');
    if (decided instanceof Promise) {
      pending.push(decided.then(() => void latencies.push(performance.now() - t)));
    } else latencies.push(performance.now() - t);
  }
  await Promise.all(pending);
  const elapsedMs = performance.now() - started;
  const before = requests;
  await Promise.all(arrivals.map((a) => join.decide(a.identity, 'final')));
  const rejoinRequests = requests - before;
  await new Promise<void>((resolve) => app.close(() => resolve()));
  latencies.sort((a, b) => a - b);
  return {
    joins: o.joins,
    viewers: o.viewers,
    requests,
    checks,
    requestsPer10kJoins: (requests / o.joins) * 10_000,
    meanChecksPerRequest: checks / Math.max(1, requests),
    maxChecksPerRequest: maxChecks,
    p99DecisionMs: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    elapsedMs,
    rejoinRequests,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const viewers of [10_000, 7_000]) {
    const r = await measureJoinToss({ joins: 10_000, viewers, spreadMs: 1000, appLatencyMs: 20 });
    console.log(JSON.stringify(r));
  }
}
