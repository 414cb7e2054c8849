import {
  NatsSuperCluster,
  RedisCluster,
  RedisServer,
  waitFor,
  type TestClient,
} from '@roar/testkit';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  REPORT_MS,
  aggregatorInProcess,
  clusterEnv,
  gatewayProcess,
  type Node,
} from '../cluster-harness.js';

// Two regions on loopback, as docs/architecture.md ("Two regions") lays them out: each region a
// NATS cluster of two servers, the clusters joined by gateway links into one super-cluster; a
// Redis and gateways (real processes) per region, each gateway on its own NATS server; the
// aggregator tier active in region a, region b's started when a is lost.

const STREAM = 'final';
const CHATS = 40;

/** Both regions' brokers for one test: the super-cluster and a Redis per region. */
interface Regions extends AsyncDisposable {
  nats: NatsSuperCluster;
  redisA: RedisServer;
  /** Region b's Redis: one server, or a 3-master Redis Cluster (`redis-cluster://`). */
  redisB: RedisServer | RedisCluster;
  prefix: string;
  /** A gateway's environment in `region`, on that region's NATS server `server`. */
  env(region: 'a' | 'b', server: number): Record<string, string>;
}

async function startRegions({ clusterInB = false } = {}): Promise<Regions> {
  const nats = await NatsSuperCluster.start({ regions: [{ name: 'a' }, { name: 'b' }] });
  const redisA = await RedisServer.start();
  const redisB = clusterInB ? await RedisCluster.start() : await RedisServer.start();
  const prefix = `r${Date.now().toString(36)}`;
  return {
    nats,
    redisA,
    redisB,
    prefix,
    env: (region, server) => ({
      ...clusterEnv(
        { url: nats.serverUrl(region, server) },
        region === 'a' ? redisA : redisB,
        prefix,
      ),
      ROAR_GATEWAY_ID: `gw-${region}${server}`,
      // Region b's gateways write uniques to their own Redis, which region a's aggregator does not
      // read: they send them in their reports too.
      ROAR_UNIQUES_IN_REPORTS: region === 'b' ? 'true' : 'false',
      ROAR_CHAT_RATE: '100',
      ROAR_CHAT_BURST: '100',
      ROAR_REACTION_RATE: '100',
      ROAR_REACTION_BURST: '100',
      // Every message to every viewer: sampling is not what this test is about.
      ROAR_CHAT_BUDGET: '1000',
    }),
    async [Symbol.asyncDispose]() {
      await nats[Symbol.asyncDispose]();
      await redisA[Symbol.asyncDispose]();
      await redisB[Symbol.asyncDispose]();
    },
  };
}

const lastTotal = (c: TestClient): number | undefined =>
  c.eventsOf(STREAM, 'viewers').at(-1)?.total;
const chatTexts = (c: TestClient): string[] => c.eventsOf(STREAM, 'chat').map((e) => e.text);
const reactionSum = (c: TestClient): number =>
  c
    .eventsOf(STREAM, 'reactions')
    .reduce((sum, e) => sum + Object.values(e.counts).reduce((a, b) => a + b, 0), 0);

/** Messages that crossed from `from` to `to` while `work` ran, less what crossed in a quiet window as long. */
async function crossings(
  nats: NatsSuperCluster,
  from: string,
  to: string,
  work: () => Promise<void>,
): Promise<number> {
  const quietStart = await nats.sent(from, to);
  const quietFrom = performance.now();
  // The quiet window is the measurement itself, not a wait for something to settle.
  await new Promise((r) => setTimeout(r, 1500));
  const quietEnd = await nats.sent(from, to);
  const quietRate = (quietEnd.msgs - quietStart.msgs) / (performance.now() - quietFrom);
  const started = performance.now();
  await work();
  const end = await nats.sent(from, to);
  return end.msgs - quietEnd.msgs - quietRate * (performance.now() - started);
}

const REGION_CONF = fileURLToPath(new URL('../../../../infra/nats/region.conf', import.meta.url));

describe('two regions on a NATS super-cluster', () => {
  it('ships a region config that nats-server accepts', () => {
    const env = {
      ...process.env,
      SERVER_NAME: 'eu-nats-0',
      ROAR_REGION: 'eu',
      ROAR_GATEWAYS_EU: 'nats://127.0.0.1:7222',
      ROAR_GATEWAYS_US: 'nats://127.0.0.1:7223',
    };
    const check = spawnSync('nats-server', ['-t', '-c', REGION_CONF], { env, encoding: 'utf8' });
    expect(check.stderr).toMatch(/is valid/);
    expect(check.status).toBe(0);
  });

  it(
    'carries chat across once per message per region, sums counts, uniques and reactions globally, and keeps region b running when region a is lost',
    { timeout: 180_000 },
    async () => {
      // Region b's store is a Redis Cluster: gateways and the aggregator run on it as processes.
      await using regions = await startRegions({ clusterInB: true });
      const { nats, redisA, redisB, env, prefix: p } = regions;
      let aggA: Awaited<ReturnType<typeof aggregatorInProcess>> | undefined =
        await aggregatorInProcess({ url: nats.url('a') }, redisA, p);
      const gateways: Record<string, Node> = {
        a0: await gatewayProcess(env('a', 0)),
        a1: await gatewayProcess(env('a', 1)),
        b0: await gatewayProcess(env('b', 0)),
        b1: await gatewayProcess(env('b', 1)),
      };
      const dispose = async (node: Node | undefined): Promise<void> => {
        await node?.[Symbol.asyncDispose]();
      };
      try {
        const alice = await gateways.a0!.viewer(STREAM, { user: 'alice' });
        const carol = await gateways.a1!.viewer(STREAM, { user: 'carol' });
        const bob = await gateways.b0!.viewer(STREAM, { user: 'bob' });
        const dave = await gateways.b1!.viewer(STREAM, { user: 'dave' });
        const erin = await gateways.b1!.viewer(STREAM, { user: 'erin' });
        const everyone = [alice, carol, bob, dave, erin];
        const regionB = [bob, dave, erin];

        // The global count: region a's aggregator sums both regions' reports, and its total
        // reaches region b's viewers over the gateway link.
        for (const v of everyone) {
          await v.waitForMessage(() => lastTotal(v) === 5, 15_000, 'the global total 5');
        }
        await waitFor(async () => (await aggA!.store.uniques.count(STREAM)) === 5, {
          timeoutMs: 10_000,
          message: 'five uniques summed over both regions',
        });

        // Chat from a to b: region b has viewers on two NATS servers, yet each message crosses
        // the link once (interest-only), and b's cluster routes it to its second server.
        const aToB = await crossings(nats, 'a', 'b', async () => {
          for (let i = 0; i < CHATS; i++) {
            const ack = await alice.request({ type: 'chat', stream: STREAM, text: `a-${i}` });
            expect(ack.type).toBe('ack');
          }
          for (const v of everyone) {
            await v.waitForMessage(() => chatTexts(v).length >= CHATS, 15_000, 'a’s chat');
          }
        });
        const bToA = await crossings(nats, 'b', 'a', async () => {
          for (let i = 0; i < CHATS; i++) {
            const ack = await bob.request({ type: 'chat', stream: STREAM, text: `b-${i}` });
            expect(ack.type).toBe('ack');
          }
          for (const v of everyone) {
            await v.waitForMessage(() => chatTexts(v).length >= 2 * CHATS, 15_000, 'b’s chat');
          }
        });
        console.log(
          `two regions: ${CHATS} chats crossed a→b as ${aToB.toFixed(1)} messages, ` +
            `b→a as ${bToA.toFixed(1)} (less the quiet windows’ count reports and totals)`,
        );
        // Twice per message would be one copy per NATS server or gateway in the other region.
        expect(aToB).toBeGreaterThan(CHATS * 0.8);
        expect(aToB).toBeLessThan(CHATS * 1.25);
        expect(bToA).toBeGreaterThan(CHATS * 0.8);
        expect(bToA).toBeLessThan(CHATS * 1.25);
        for (const v of everyone) {
          const texts = chatTexts(v);
          expect(texts).toHaveLength(2 * CHATS);
          expect(new Set(texts).size).toBe(2 * CHATS);
        }

        // History is per region: a gateway in b that never held the stream reads it from b's
        // Redis Cluster, which holds the chat accepted in b and none of a's.
        gateways.late = await gatewayProcess({ ...env('b', 1), ROAR_GATEWAY_ID: 'gw-b-late' });
        const late = await gateways.late.viewer(STREAM, { user: 'late' });
        const joined = late.messages.find((m) => m.type === 'joined');
        const history = joined?.type === 'joined' ? joined.history.map((h) => h.text) : [];
        expect(history).toEqual(Array.from({ length: CHATS }, (_, i) => `b-${i}`));
        late.terminate();
        for (const v of everyone) {
          await v.waitForMessage(() => lastTotal(v) === 5, 15_000, 'the total back to 5');
        }

        // Reactions from both regions are summed once, by the one active aggregator tier.
        for (let i = 0; i < 6; i++) {
          expect((await alice.request({ type: 'react', stream: STREAM, emoji: '🔥' })).type).toBe(
            'ack',
          );
          expect((await dave.request({ type: 'react', stream: STREAM, emoji: '🔥' })).type).toBe(
            'ack',
          );
        }
        for (const v of everyone) {
          await v.waitForMessage(() => reactionSum(v) >= 12, 10_000, '12 reactions');
        }
        // A second aggregator's bursts would arrive within a window or two; none may. (A window
        // in which nothing may happen: the scenario, which no marker could replace.)
        await new Promise((r) => setTimeout(r, 500));
        for (const v of everyone) expect(reactionSum(v)).toBe(12);

        // Region a is lost: its NATS servers, gateways, aggregator and Redis all at once.
        const lostAt = performance.now();
        await Promise.all([
          nats.killRegion('a'),
          dispose(gateways.a0),
          dispose(gateways.a1),
          aggA.store.close().then(() => aggA?.[Symbol.asyncDispose]()),
          redisA.stop(),
        ]);
        aggA = undefined;
        delete gateways.a0;
        delete gateways.a1;
        // Region a's viewers lose their connections (their clients would reconnect to b).
        await alice.closed;

        // Region b's viewers stay connected and keep chatting among themselves.
        expect(regionB.every((v) => v.isOpen)).toBe(true);
        expect((await bob.request({ type: 'chat', stream: STREAM, text: 'still here' })).type).toBe(
          'ack',
        );
        for (const v of regionB) {
          await v.waitForMessage(() => chatTexts(v).includes('still here'), 10_000, 'b’s chat');
        }
        // No aggregator runs in b yet: the count stays at its last total rather than dropping.
        for (const v of regionB) expect(lastTotal(v)).toBe(5);

        // Region b's standby aggregator takes over (what the failover runbook starts).
        const standbyAt = performance.now();
        await using aggB = await aggregatorInProcess({ url: nats.url('b') }, redisB, p);
        for (const v of regionB) {
          await v.waitForMessage(() => lastTotal(v) === 3, 15_000, 'region b’s own total 3');
        }
        const recoveredMs = performance.now() - lostAt;
        const takeoverMs = performance.now() - standbyAt;
        console.log(
          `two regions: region a lost, b's count correct again ${takeoverMs.toFixed(0)} ms after ` +
            `its aggregator started (${recoveredMs.toFixed(0)} ms after the loss)`,
        );
        // Its leases in b's Redis are free: it owns the partition at once, no TTL to wait out.
        expect(takeoverMs).toBeLessThan(10_000);
        // Uniques restart in b's Redis: a viewer who joins now is counted, region a's viewers are
        // not (they were in region a's Redis). b's Redis holds b's own identities only: bob, dave,
        // erin, frank, and the late viewer when its gateway wrote it before it left (a timing the
        // test does not fix; seen once in CI as 5): alice and carol would make it 6 or more.
        const frank = await gateways.b0!.viewer(STREAM, { user: 'frank' });
        await waitFor(async () => (await aggB.store.uniques.count(STREAM)) >= 1, {
          timeoutMs: 10_000,
          message: 'uniques counted again in region b',
        });
        expect(await aggB.store.uniques.count(STREAM)).toBeLessThanOrEqual(5);
        await frank.waitForMessage(() => lastTotal(frank) === 4, 10_000, 'total 4 with frank');
        expect((await erin.request({ type: 'react', stream: STREAM, emoji: '🔥' })).type).toBe(
          'ack',
        );
        await frank.waitForMessage(() => reactionSum(frank) === 1, 10_000, 'a reaction in b');
      } finally {
        await Promise.all(Object.values(gateways).map(dispose));
        await aggA?.[Symbol.asyncDispose]();
      }
    },
  );

  it(
    'keeps the active region running when the standby region is lost: its viewers leave the count',
    { timeout: 120_000 },
    async () => {
      await using regions = await startRegions();
      const { nats, redisA, env, prefix } = regions;
      await using agg = await aggregatorInProcess({ url: nats.url('a') }, redisA, prefix);
      const gateways: Record<string, Node> = {
        a0: await gatewayProcess(env('a', 0)),
        b0: await gatewayProcess(env('b', 0)),
        b1: await gatewayProcess(env('b', 1)),
      };
      try {
        const alice = await gateways.a0!.viewer(STREAM, { user: 'alice' });
        const carol = await gateways.a0!.viewer(STREAM, { user: 'carol' });
        const regionB = [
          await gateways.b0!.viewer(STREAM, { user: 'bob' }),
          await gateways.b1!.viewer(STREAM, { user: 'dave' }),
        ];
        for (const v of [alice, carol, ...regionB]) {
          await v.waitForMessage(() => lastTotal(v) === 4, 15_000, 'the global total 4');
        }
        const lostAt = performance.now();
        await Promise.all([
          nats.killRegion('b'),
          ...Object.entries(gateways)
            .filter(([name]) => name.startsWith('b'))
            .map(([, node]) => node[Symbol.asyncDispose]()),
          (regions.redisB as RedisServer).stop(),
        ]);
        delete gateways.b0;
        delete gateways.b1;
        // Region b's gateways stop reporting and expire like any dead gateway: 3 report intervals.
        await alice.waitForMessage(() => lastTotal(alice) === 2, 10_000, 'region a’s own total 2');
        const tookMs = performance.now() - lostAt;
        console.log(
          `two regions: standby region lost, the total dropped after ${tookMs.toFixed(0)} ms`,
        );
        expect(tookMs).toBeLessThan(5 * REPORT_MS + 2000);
        expect(
          await alice.request({ type: 'chat', stream: STREAM, text: 'on we go' }),
        ).toMatchObject({ type: 'ack' });
        await carol.waitForMessage(
          () => chatTexts(carol).includes('on we go'),
          10_000,
          'chat in a',
        );
        // Uniques are the active region's and keep everyone seen.
        expect(await agg.store.uniques.count(STREAM)).toBe(4);
      } finally {
        await Promise.all(Object.values(gateways).map((node) => node[Symbol.asyncDispose]()));
      }
    },
  );
});
