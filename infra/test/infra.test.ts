import { loadGatewayConfig } from '@roar/gateway';
import { CloseCode } from '@roar/protocol';
import { ManagedProcess, TestClient, freePort, waitFor } from '@roar/testkit';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAggregatorConfig } from '../../services/aggregator/src/config.js';
import { loadWebhooksConfig } from '../../services/webhooks/src/config.js';
import {
  INFRA,
  composeContainers,
  kubernetesContainers,
  kubernetesObjects,
  readYaml,
  yamlFiles,
  type RoarContainer,
} from './manifests.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The gateway's onShutdownSignal gives up after this long, drained or not. */
const GATEWAY_SHUTDOWN_TIMEOUT_MS = 30_000;

function load(c: RoarContainer): {
  port: number;
  host: string;
  drainWindowMs?: number;
  eventLog?: { driver: string };
} {
  try {
    switch (c.kind) {
      case 'gateway':
        return loadGatewayConfig(c.env);
      case 'aggregator':
        return loadAggregatorConfig(c.env);
      case 'webhooks':
        return loadWebhooksConfig(c.env);
    }
  } catch (error) {
    throw new Error(`${c.where}: ${(error as Error).message}`, { cause: error });
  }
}

const compose = composeContainers();
const k8s = kubernetesContainers(kubernetesObjects());
const all = [...compose, ...k8s];

describe('infra/ manifests', () => {
  it('parses every YAML file (multi-document files included)', () => {
    const files = yamlFiles();
    expect(files).toEqual(
      expect.arrayContaining([
        'docker-compose.yml',
        'prometheus/prometheus.yml',
        'k8s/kustomization.yaml',
        'k8s/gateway.yaml',
        'nats/kustomization.yaml',
      ]),
    );
    for (const file of files) expect(readYaml(file).length, file).toBeGreaterThan(0);
  });

  it('finds the Roar containers of docker-compose and Kubernetes', () => {
    const count = (list: RoarContainer[], kind: string): number =>
      list.filter((c) => c.kind === kind).length;
    const kinds = (list: RoarContainer[]) =>
      ['gateway', 'aggregator', 'webhooks'].map((k) => count(list, k));
    expect(kinds(compose)).toEqual([2, 2, 1]);
    expect(kinds(k8s)).toEqual([1, 1, 1]);
  });

  it('gives every container an environment its service’s config loader accepts', () => {
    for (const c of all) {
      const config = load(c);
      if (c.kind === 'gateway') {
        expect(config, c.where).toMatchObject({ mode: 'gateway', host: '0.0.0.0' });
      } else {
        expect(config, c.where).toMatchObject({ host: '0.0.0.0' });
      }
      // Every appender writes the durable log to JetStream (replay, export and webhooks read it).
      if (c.kind !== 'webhooks') expect(config.eventLog?.driver, c.where).toBe('jetstream');
    }
    // The committed secret is a placeholder that must not start a gateway.
    const secret = kubernetesObjects().find((o) => o.kind === 'Secret');
    const placeholder = (secret?.stringData as Record<string, string>).ROAR_JWT_SECRET;
    expect(() => loadGatewayConfig({ ROAR_JWT_SECRET: placeholder })).toThrow(/at least 32/);
    // ROAR_WORKERS follows the pod's CPU limit.
    const gateway = k8s.find((c) => c.kind === 'gateway') as RoarContainer;
    expect(loadGatewayConfig(gateway.env).workers).toBe(2);
  });

  it('probes /readyz and /healthz on the port each service listens on', () => {
    for (const c of all) {
      const { port } = load(c);
      expect(
        c.ports.map((p) => p.port),
        c.where,
      ).toContain(port);
      expect(c.readiness, c.where).toEqual({ path: '/readyz', port });
      if (k8s.includes(c)) expect(c.liveness, c.where).toEqual({ path: '/healthz', port });
      if (c.scrapePort !== undefined) expect(c.scrapePort, c.where).toBe(port);
    }
  });

  it('lets gateways drain before the platform kills them', () => {
    for (const c of all.filter((x) => x.kind === 'gateway')) {
      const drain = load(c).drainWindowMs as number;
      expect(c.stopGraceMs, c.where).toBeGreaterThan(c.preStopMs + drain);
      // Room for flushing history after the drain, within the gateway's own shutdown timeout.
      expect(drain + 5000, c.where).toBeLessThanOrEqual(GATEWAY_SHUTDOWN_TIMEOUT_MS);
    }
  });

  it('routes NATS between the nodes the StatefulSet and compose create', () => {
    const conf = readFileSync(join(INFRA, 'nats/nats.conf'), 'utf8');
    const routes = [...conf.matchAll(/^\s*nats-route:\/\/([\w.-]+):6222/gm)].map((m) => m[1]);
    const nats = kubernetesObjects().find(
      (o) => o.kind === 'StatefulSet' && (o.metadata as { name?: string }).name === 'nats',
    );
    const replicas = (nats?.spec as { replicas: number }).replicas;
    expect(routes).toEqual(Array.from({ length: replicas }, (_, i) => `nats-${i}.nats`));
    const [file] = readYaml('docker-compose.yml');
    expect(JSON.stringify(file)).toContain('"aliases":["nats-2.nats"]');
    for (const c of all) {
      const hosts = c.env.ROAR_NATS_URL?.split(',').map((u) => new URL(u).hostname);
      expect(hosts?.length, c.where).toBe(3);
    }
  });

  it('runs NATS with JetStream on a volume per node, in Kubernetes and compose', () => {
    const conf = readFileSync(join(INFRA, 'nats/nats.conf'), 'utf8');
    const block = /^jetstream\s*\{([^}]*)\}/m.exec(conf)?.[1] ?? '';
    const storeDir = /^\s*store_dir:\s*(\S+)/m.exec(block)?.[1];
    expect(storeDir, 'an uncommented jetstream { store_dir } in nats.conf').toBeDefined();
    const under = (mount: string): boolean =>
      storeDir === mount || (storeDir ?? '').startsWith(`${mount}/`);

    const nats = kubernetesObjects().find(
      (o) => o.kind === 'StatefulSet' && (o.metadata as { name?: string }).name === 'nats',
    );
    const spec = nats?.spec as {
      volumeClaimTemplates?: { metadata: { name: string } }[];
      template: {
        spec: { containers: { volumeMounts?: { name: string; mountPath: string }[] }[] };
      };
    };
    const claims = (spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name);
    const mounts = spec.template.spec.containers[0]?.volumeMounts ?? [];
    // The store is on a claim of each pod's own (it outlives the pod), not on an emptyDir.
    expect(mounts.filter((m) => claims.includes(m.name) && under(m.mountPath))).toHaveLength(1);

    const [file] = readYaml('docker-compose.yml');
    const services = (file as { services: Record<string, { volumes?: string[] }> }).services;
    const named = Object.keys((file as { volumes: Record<string, unknown> }).volumes);
    const stores = ['nats-0', 'nats-1', 'nats-2'].map((n) => {
      const volume = (services[n]?.volumes ?? [])
        .map((v) => v.split(':'))
        .find(([source, target]) => named.includes(source ?? '') && under(target ?? ''));
      expect(volume, `${n}: a named volume holding ${storeDir}`).toBeDefined();
      return volume?.[0];
    });
    // One volume per node: JetStream nodes must not share a store.
    expect(new Set(stores).size).toBe(3);
  });

  it('runs exactly one webhook process, with its secrets from a Secret', () => {
    const objects = kubernetesObjects();
    const webhooks = objects.find(
      (o) => o.kind === 'Deployment' && (o.metadata as { name?: string }).name === 'webhooks',
    );
    const spec = webhooks?.spec as {
      replicas: number;
      strategy: { type: string };
      template: {
        spec: { containers: { envFrom?: { secretRef?: { name: string } }[] }[] };
      };
    };
    // Two at once would both deliver: never more than one, also during a deploy.
    expect(spec.replicas).toBe(1);
    expect(spec.strategy.type).toBe('Recreate');
    const scaled = objects.filter(
      (o) =>
        o.kind === 'HorizontalPodAutoscaler' &&
        (o.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name === 'webhooks',
    );
    expect(scaled).toEqual([]);
    const secretRefs = (spec.template.spec.containers[0]?.envFrom ?? [])
      .map((e) => e.secretRef?.name)
      .filter((n): n is string => n !== undefined);
    const secretKeys = objects
      .filter(
        (o) =>
          o.kind === 'Secret' && secretRefs.includes(String((o.metadata as { name: string }).name)),
      )
      .flatMap((o) => Object.keys({ ...(o.stringData as object), ...(o.data as object) }));
    expect(secretKeys).toEqual(
      expect.arrayContaining(['ROAR_WEBHOOK_ENDPOINTS', 'ROAR_ADMIN_API_KEYS']),
    );
    // No ConfigMap carries them in the clear.
    for (const o of objects.filter((x) => x.kind === 'ConfigMap'))
      expect(Object.keys(o.data as object)).not.toContain('ROAR_WEBHOOK_ENDPOINTS');

    const [file] = readYaml('docker-compose.yml');
    const services = (file as { services: Record<string, Record<string, unknown>> }).services;
    const wh = Object.entries(services).filter(([, s]) =>
      JSON.stringify(s.command ?? '').includes('services/webhooks/'),
    );
    expect(wh).toHaveLength(1);
    const [, service] = wh[0]!;
    expect((service.deploy as { replicas?: number } | undefined)?.replicas ?? 1).toBe(1);
    // From the shell, never written in the file.
    const env = service.environment as Record<string, string>;
    expect(env.ROAR_WEBHOOK_ENDPOINTS).toMatch(/^\$\{/);
    expect(env.ROAR_ADMIN_API_KEYS).toMatch(/^\$\{/);
  });
});

// ---- npm run cluster, end to end ----

const CLUSTER = join(ROOT, 'scripts/cluster.mjs');
let cluster: ManagedProcess | undefined;
let pids: number[] = [];
let secret = '';
const gateways: number[] = [];
let aggPort = 0;
const clients: TestClient[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** An HS256 token as the platform's auth service would sign it with the printed secret. */
function hs256(key: string, claims: Record<string, unknown>): string {
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ ...claims, iat: now, exp: now + 600 })}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

async function joinedClient(port: number, token: string, stream: string): Promise<TestClient> {
  const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`, { token });
  clients.push(client);
  await client.waitForMessage((m) => m.type === 'welcome', 5000, 'welcome');
  expect(await client.request({ type: 'join', stream })).toMatchObject({ type: 'joined' });
  return client;
}

describe('npm run cluster', () => {
  beforeAll(async () => {
    for (const main of ['services/gateway/dist/main.js', 'services/aggregator/dist/main.js']) {
      if (!existsSync(join(ROOT, main))) throw new Error(`${main} is missing: run npm run build`);
    }
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('ROAR_')),
    );
    cluster = new ManagedProcess(
      process.execPath,
      [CLUSTER, '--gateways', '2', '--gateway-port', '0', '--agg-port', '0'],
      { ...env, ROAR_CLUSTER_NATS_PORT: String(await freePort()) },
    );
    await cluster.waitForOutput(/Ctrl-C stops everything/, 25_000);
    const rows = [...cluster.output.matchAll(/^ {2}(gw-\d+|agg-1|nats|redis) +(\d+) +(\S+)/gm)];
    pids = rows.map((r) => Number(r[2]));
    for (const [, name, , address] of rows) {
      const port = Number(new URL(address as string).port);
      if (name?.startsWith('gw-')) gateways.push(port);
      if (name === 'agg-1') aggPort = port;
    }
    secret = /JWT secret[^:]*: (\S+)/.exec(cluster.output)?.[1] ?? '';
  });

  afterAll(async () => {
    for (const c of clients) c.terminate();
    await cluster?.stop('SIGTERM', 20_000);
    for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
  });

  it('reports 2 gateways, the aggregator, NATS and Redis with their pids', () => {
    expect(gateways).toHaveLength(2);
    expect(aggPort).toBeGreaterThan(0);
    expect(pids).toHaveLength(5);
    expect(pids.every(alive)).toBe(true);
    expect(secret.length).toBeGreaterThanOrEqual(32);
  });

  it('serves the probed paths, metrics and the demo page', async () => {
    const paths = (kind: string): string[] => [
      ...new Set(
        all
          .filter((c) => c.kind === kind)
          .flatMap((c) => [c.readiness?.path, c.liveness?.path])
          .filter((p): p is string => p !== undefined),
      ),
    ];
    const get = (port: number, path: string): Promise<Response> =>
      fetch(`http://127.0.0.1:${port}${path}`);
    for (const port of gateways) {
      for (const path of [...paths('gateway'), '/'])
        expect((await get(port, path)).status).toBe(200);
      expect(await (await get(port, '/metrics')).text()).toContain('roar_connections');
    }
    for (const path of paths('aggregator')) expect((await get(aggPort, path)).status).toBe(200);
  });

  it('carries chat and the viewer total across the two gateways', { timeout: 30_000 }, async () => {
    const [first, second] = gateways as [number, number];
    const login = await fetch(`http://127.0.0.1:${first}/dev/token`, {
      method: 'POST',
      body: JSON.stringify({ name: 'Asha' }),
    });
    const { token } = (await login.json()) as { token: string };
    const stream = `infra-${Date.now().toString(36)}`;
    const a = await joinedClient(first, token, stream);
    const b = await joinedClient(second, hs256(secret, { sub: 'ben', name: 'Ben' }), stream);

    expect(await a.request({ type: 'chat', stream, text: 'hello from gw-1' })).toMatchObject({
      type: 'ack',
    });
    await b.waitForMessage(
      () => b.eventsOf(stream, 'chat').some((e) => e.text === 'hello from gw-1'),
      5000,
      'the chat on gw-2',
    );
    // The aggregator warms up for a few report intervals before its first total.
    for (const c of [a, b]) {
      await c.waitForMessage(
        () => c.eventsOf(stream, 'viewers').at(-1)?.total === 2,
        15_000,
        'a total of 2 viewers',
      );
    }
    // The event log (JetStream): the other gateway replays the message accepted by the first.
    const from = Date.now() - 60_000;
    await waitFor(
      async () => {
        const res = await fetch(
          `http://127.0.0.1:${second}/v1/streams/${stream}/replay?from=${from}&to=${Date.now() + 1000}`,
        );
        const body = (await res.json()) as { events?: { data: { text?: string } }[] };
        return body.events?.some((e) => e.data.text === 'hello from gw-1') ?? false;
      },
      { timeoutMs: 10_000, message: 'the message replayed from the log on gw-2' },
    );
  });

  it(
    'stops on SIGTERM: gateways drain, everything exits, exit code 0',
    { timeout: 45_000 },
    async () => {
      const proc = cluster as ManagedProcess;
      proc.child.kill('SIGTERM');
      const code = await Promise.race([
        proc.exited,
        new Promise((resolve) => setTimeout(() => resolve('still running'), 40_000)),
      ]);
      expect(code, proc.output.slice(-3000)).toBe(0);
      for (const c of clients) expect((await c.closed).code).toBe(CloseCode.ServerRestart);
      expect(pids.filter(alive)).toEqual([]);
      expect(proc.output).toMatch(
        /stopping the gateways[\s\S]*stopping the aggregator[\s\S]*stopping NATS/,
      );
    },
  );
});
