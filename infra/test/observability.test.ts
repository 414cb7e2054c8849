import {
  ManagedProcess,
  NatsServer,
  RedisServer,
  TestClient,
  requireBinary,
  waitFor,
} from '@roar/testkit';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PROMETHEUS = join(ROOT, 'infra/prometheus');
const DASHBOARD = join(ROOT, 'infra/grafana/roar-dashboard.json');
const RULES = join(PROMETHEUS, 'roar-alerts.yml');
const GATEWAY_MAIN = join(ROOT, 'services/gateway/dist/main.js');
const AGGREGATOR_MAIN = join(ROOT, 'services/aggregator/dist/main.js');
const WEBHOOKS_MAIN = join(ROOT, 'services/webhooks/dist/main.js');
const SECRET = 'observability-test-secret-0123456789abcdef';

interface Dashboard {
  panels: { title: string; type: string; targets?: { expr: string }[] }[];
  templating: { list: { definition?: string }[] };
}
interface RuleFile {
  groups: { rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[];
}

/** Metric names a PromQL expression reads (Roar's own, Node's and the process's). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(?:roar|nodejs|process)_[a-z0-9_]+\b/g)].map((m) => m[0]);
}

/** The exported family a sample name belongs to: a histogram's `_bucket` is its base name. */
function family(name: string, exported: Set<string>): string {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return exported.has(base) ? base : name;
}

function dashboardExprs(): string[] {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const exprs = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  for (const v of d.templating.list) if (v.definition) exprs.push(v.definition);
  return exprs;
}

function ruleExprs(): string[] {
  const file = parse(readFileSync(RULES, 'utf8')) as RuleFile;
  return file.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** `# TYPE name kind` lines: every family a registry exports, samples or not. */
function exportedFamilies(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string));
}

function sample(text: string, pattern: RegExp): number {
  const match = text.match(pattern);
  return match ? Number(match[1]) : 0;
}

function token(sub: string): string {
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, name: sub, iat: now, exp: now + 600 })}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

describe('alert rules (promtool)', () => {
  const promtool = promisify(execFile);

  it('pass `promtool check rules` and the rule unit tests', async () => {
    requireBinary('promtool', 'prometheus');
    const checked = await promtool('promtool', ['check', 'rules', RULES]);
    expect(checked.stdout).toContain('SUCCESS: 12 rules found');
    const tested = await promtool('promtool', ['test', 'rules', 'roar-alerts.test.yml'], {
      cwd: PROMETHEUS,
    });
    expect(tested.stdout).toContain('SUCCESS');
  });

  it('are loaded by the Compose Prometheus config, which promtool accepts', async () => {
    requireBinary('promtool', 'prometheus');
    const { stdout } = await promtool('promtool', [
      'check',
      'config',
      join(PROMETHEUS, 'prometheus.yml'),
    ]);
    expect(stdout).toContain('1 rule files found');
  });

  it('cover what the operations kit promises, each with a runbook', () => {
    const file = parse(readFileSync(RULES, 'utf8')) as RuleFile;
    const alerts = file.groups.flatMap((g) => g.rules);
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      'RoarCountsNotPublished',
      'RoarCountsStale',
      'RoarDegradationHigh',
      'RoarEventLogDown',
      'RoarEventLogDropping',
      'RoarGatewayDown',
      'RoarNatsDisconnected',
      'RoarNoAggregator',
      'RoarPartitionWithoutOwner',
      // Polls
      'RoarPollVotesLost',
      'RoarRedisDisconnected',
      'RoarWebhookDeadLetters',
    ]);
    const operations = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    for (const a of alerts) {
      expect(a.annotations.runbook, a.alert).toBe(`docs/operations.md#${a.alert.toLowerCase()}`);
      expect(operations, `docs/operations.md has a "### ${a.alert}" section`).toContain(
        `### ${a.alert}`,
      );
    }
  });
});

// A gateway and an aggregator as the image runs them (the built dist, real NATS and Redis), a
// viewer who chats so the histograms have samples, then one scrape of each.
describe('the dashboard and the rules against running processes', () => {
  let nats: NatsServer;
  let redis: RedisServer;
  const procs: ManagedProcess[] = [];
  const clients: TestClient[] = [];
  let gatewayText = '';
  let aggregatorText = '';
  let webhooksText = '';

  beforeAll(async () => {
    for (const main of [GATEWAY_MAIN, AGGREGATOR_MAIN, WEBHOOKS_MAIN]) {
      if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
    }
    // JetStream on: the event log's series (and its alerts) come from running processes too.
    nats = await NatsServer.start({ jetstream: true });
    redis = await RedisServer.start();
    const shared = {
      ROAR_NATS_URL: nats.url,
      ROAR_REDIS_URL: redis.url,
      ROAR_PREFIX: `obs${Date.now().toString(36)}`,
      ROAR_REPORT_INTERVAL_MS: '100',
      ROAR_COUNT_INTERVAL_MS: '100',
      ROAR_REACTION_WINDOW_MS: '100',
      ROAR_LOG: 'jetstream',
    };
    const aggregator = new ManagedProcess(process.execPath, [AGGREGATOR_MAIN], {
      ...process.env,
      ...shared,
      ROAR_AGG_HOST: '127.0.0.1',
      ROAR_AGG_PORT: '0',
      ROAR_AGG_LEASE_TTL_MS: '600',
    });
    procs.push(aggregator);
    const gateway = new ManagedProcess(process.execPath, [GATEWAY_MAIN], {
      ...process.env,
      ...shared,
      ROAR_MODE: 'gateway',
      ROAR_HOST: '127.0.0.1',
      ROAR_PORT: '0',
      ROAR_WORKERS: '1',
      ROAR_JWT_SECRET: SECRET,
      ROAR_TICK_MS: '20',
      // A fresh Redis: no restore by other gateways to wait for before chat is accepted.
      ROAR_MODERATION_FRESH_STORE_GRACE_MS: '0',
    });
    procs.push(gateway);
    // No endpoint: its families are registered at start, which is what the rules need.
    const webhooks = new ManagedProcess(process.execPath, [WEBHOOKS_MAIN], {
      ...process.env,
      ROAR_NATS_URL: nats.url,
      ROAR_PREFIX: shared.ROAR_PREFIX,
      ROAR_WEBHOOK_PORT: '0',
    });
    procs.push(webhooks);
    const [, whPort] = await webhooks.waitForOutput(
      /"msg":"webhooks listening".*?"port":(\d+)/,
      15_000,
    );
    const [, aggPort] = await aggregator.waitForOutput(
      /"msg":"aggregator listening".*?"port":(\d+)/,
      15_000,
    );
    const [, gwPort] = await gateway.waitForOutput(
      /"msg":"gateway listening".*?"port":(\d+)/,
      15_000,
    );

    const chatter = await TestClient.connect(`ws://127.0.0.1:${gwPort}/ws`, {
      token: token('obs-chatter'),
    });
    clients.push(chatter);
    await chatter.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
    expect(await chatter.request({ type: 'join', stream: 'obs' })).toMatchObject({
      type: 'joined',
    });
    expect(await chatter.request({ type: 'chat', stream: 'obs', text: 'hello' })).toMatchObject({
      type: 'ack',
    });

    const scrape = async (port: string | undefined): Promise<string> =>
      (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    webhooksText = await scrape(whPort);
    // Histograms fill as the chat is written out and the viewer count is published.
    await waitFor(
      async () => {
        gatewayText = await scrape(gwPort);
        aggregatorText = await scrape(aggPort);
        return (
          sample(gatewayText, /^roar_delivery_lag_seconds_count\{[^}]*\} (\d+)/m) > 0 &&
          sample(aggregatorText, /^roar_agg_publish_lag_seconds_count\{[^}]*\} (\d+)/m) > 0
        );
      },
      { timeoutMs: 20_000, intervalMs: 200, message: 'delivery and publish lag samples' },
    );
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.terminate();
    await Promise.all(procs.map((p) => p.stop('SIGKILL')));
    await nats?.stop();
    await redis?.stop();
  });

  it('exports every metric the dashboard and the alert rules use', () => {
    const exported = new Set([
      ...exportedFamilies(gatewayText),
      ...exportedFamilies(aggregatorText),
      ...exportedFamilies(webhooksText),
    ]);
    const used = new Set(
      [...dashboardExprs(), ...ruleExprs()].flatMap(metricNames).map((n) => family(n, exported)),
    );
    expect(used.size).toBeGreaterThan(30);
    const missing = [...used].filter((n) => !exported.has(n)).sort();
    expect(missing).toEqual([]);
  });

  it('observes the chat accept latency, the delivery lag and the count publish lag', () => {
    expect(
      sample(gatewayText, /^roar_chat_accept_seconds_count\{[^}]*result="accepted"[^}]*\} (\d+)/m),
    ).toBe(1);
    expect(sample(gatewayText, /^roar_delivery_lag_seconds_count\{[^}]*\} (\d+)/m)).toBeGreaterThan(
      0,
    );
    expect(
      sample(aggregatorText, /^roar_agg_publish_lag_seconds_count\{[^}]*\} (\d+)/m),
    ).toBeGreaterThan(0);
    // One partition, owned by the one aggregator; NATS and Redis up on both sides.
    expect(aggregatorText).toMatch(/^roar_agg_partition_owned\{[^}]*partition="0"[^}]*\} 1$/m);
    expect(aggregatorText).toMatch(/^roar_agg_partitions\{[^}]*\} 1$/m);
    expect(gatewayText).toMatch(/^roar_store_connected\{[^}]*\} 1$/m);
    expect(gatewayText).toMatch(/^roar_bus_connected\{[^}]*\} 1$/m);
    expect(gatewayText).toMatch(/^roar_log_connected\{[^}]*\} 1$/m);
    expect(aggregatorText).toMatch(/^roar_log_connected\{[^}]*\} 1$/m);
  });
});
