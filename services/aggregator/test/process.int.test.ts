import { connectNatsBus, Subjects } from '@roar/bus';
import { ManagedProcess, waitFor } from '@roar/testkit';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FAST, FakeGateway, readyz, uniquePrefix, ViewerWatch, useBrokers } from './harness.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const LISTENING = /"msg":"aggregator listening".*"port":(\d+)/;

const brokers = useBrokers();
const { cleanup } = brokers;

/** `node dist/main.js` with only the ROAR_ variables given here (none leak in from outside). */
function spawnAggregator(env: Record<string, string>): ManagedProcess {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run \`npx tsc -b services/aggregator\` (npm test does)`);
  }
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('ROAR_')),
  );
  const proc = new ManagedProcess(process.execPath, [MAIN], { ...base, ...FAST, ...env });
  cleanup.push(() => proc.stop('SIGKILL'));
  return proc;
}

async function listening(proc: ManagedProcess): Promise<number> {
  const [, port] = await proc.waitForOutput(LISTENING);
  return Number(port);
}

/** Resolves with the exit code, or fails if the process is still running after `ms`. */
function exitWithin(proc: ManagedProcess, ms: number): Promise<number | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms:\n${proc.output}`)), ms);
  });
  return Promise.race([proc.exited, late]).finally(() => clearTimeout(timer));
}

describe('the aggregator process', () => {
  it('serves health and readiness, counts, and exits 0 on SIGTERM', async () => {
    const subjects = new Subjects(uniquePrefix());
    const watch = await ViewerWatch.open(brokers.nats.url, subjects);
    cleanup.push(() => watch.close());
    const gwBus = await connectNatsBus({ servers: brokers.nats.url, name: 'gateways' });
    cleanup.push(() => gwBus.close());
    const g1 = new FakeGateway('g1', gwBus, subjects, 1).set('s', 42).start();
    cleanup.push(() => g1.silence());

    const proc = spawnAggregator({
      ROAR_PREFIX: subjects.prefix,
      ROAR_NATS_URL: brokers.nats.url,
      ROAR_REDIS_URL: brokers.redis.url,
      ROAR_AGG_ID: 'agg-proc',
    });
    const port = await listening(proc);
    expect(proc.output).toMatch(/"id":"agg-proc".*"partitions":1/);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await waitFor(async () => (await readyz(port)).owned.length === 1, {
      message: 'the process owning partition 0',
    });
    expect(await readyz(port)).toEqual({ status: 200, owned: [0], nats: true, redis: true });
    await watch.until('s', (e) => e.total === 42, 'a total from the process');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const name of ['roar_agg_publishes_total', 'nodejs_eventloop_lag_p99_seconds']) {
      expect(metrics).toContain(name);
    }

    const signalledAt = Date.now();
    proc.child.kill('SIGTERM');
    expect(await exitWithin(proc, 5000)).toBe(0);
    console.info(`SIGTERM to exit: ${Date.now() - signalledAt} ms`);
  });

  it('hands over to a standby within the lease TTL when the owner is killed', async () => {
    const prefix = uniquePrefix();
    const env = {
      ROAR_PREFIX: prefix,
      ROAR_NATS_URL: brokers.nats.url,
      ROAR_REDIS_URL: brokers.redis.url,
    };
    const a = spawnAggregator({ ...env, ROAR_AGG_ID: 'agg-a' });
    const aPort = await listening(a);
    await waitFor(async () => (await readyz(aPort)).owned.length === 1, { message: 'a owning' });
    const b = spawnAggregator({ ...env, ROAR_AGG_ID: 'agg-b' });
    const bPort = await listening(b);
    await waitFor(async () => (await readyz(bPort)).status === 200, { message: 'b ready' });
    expect((await readyz(bPort)).owned).toEqual([]);

    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    const ttl = Number(FAST.ROAR_AGG_LEASE_TTL_MS);
    // Expiry in Redis, then b's next round (every ttl / 3).
    await waitFor(async () => (await readyz(bPort)).owned.length === 1, {
      timeoutMs: ttl + ttl / 3 + 1000,
      message: 'b taking partition 0 over',
    });
    console.info(
      `crash failover: standby owned partition 0 ${Date.now() - killedAt} ms after SIGKILL`,
    );
  });

  it('refuses bad configuration with exit code 2 and a message naming the variable', async () => {
    const bad = spawnAggregator({ ROAR_AGG_MAX_PARTITIONS: '2' });
    expect(await exitWithin(bad, 5000)).toBe(2);
    expect(bad.output).toContain('roar-aggregator: ROAR_AGG_MAX_PARTITIONS must be an integer');
    const typo = spawnAggregator({ ROAR_AGG_LEASE_TLL_MS: '900' });
    expect(await exitWithin(typo, 5000)).toBe(2);
    expect(typo.output).toContain('ROAR_AGG_LEASE_TLL_MS');
  });
});
