// Reads infra/'s YAML the way Docker Compose and Kubernetes would, far enough to know what
// environment each Roar container starts with and which ports and probes it declares.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const INFRA = fileURLToPath(new URL('..', import.meta.url));

/** Stands in for every secret: long enough for ROAR_JWT_SECRET's 32-character minimum. */
export const DUMMY_SECRET = 'dummy-secret-for-config-tests-0123456789';

/**
 * What the manifests carry in place of secrets that must have a form (a JSON list, name:key
 * pairs): a value of that form, as an operator would put there.
 */
const DUMMY_SHAPED: Record<string, string> = {
  ROAR_WEBHOOK_ENDPOINTS: JSON.stringify([
    {
      id: 'app',
      url: 'https://app.example/roar',
      secret: DUMMY_SECRET,
      events: ['chat.published'],
    },
  ]),
  ROAR_ADMIN_API_KEYS: `ops:${DUMMY_SECRET}`,
};
const dummyFor = (name: string): string => DUMMY_SHAPED[name] ?? DUMMY_SECRET;

export type Kind = 'gateway' | 'aggregator' | 'webhooks';
type Json = Record<string, unknown>;

export interface RoarContainer {
  /** Where it was found, for failure messages. */
  where: string;
  kind: Kind;
  env: Record<string, string>;
  /** Ports the container listens on, by name where the manifest names them. */
  ports: { name?: string; port: number }[];
  readiness?: { path: string; port: number };
  liveness?: { path: string; port: number };
  /** How long the platform waits after asking it to stop (preStop included), in ms. */
  stopGraceMs?: number;
  /** Time spent in preStop before the process gets SIGTERM, in ms. */
  preStopMs: number;
  /** Prometheus scrape annotations, when present. */
  scrapePort?: number;
}

export function yamlFiles(dir = INFRA): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : yamlFiles(path);
    return /\.ya?ml$/.test(e.name) ? [relative(INFRA, path)] : [];
  });
}

/** Every document of a file; throws on any YAML error. Merge keys (`<<`) as Compose reads them. */
export function readYaml(file: string): Json[] {
  const docs = parseAllDocuments(readFileSync(join(INFRA, file), 'utf8'), { merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const problem = [...doc.errors, ...doc.warnings][0];
    if (problem) throw new Error(`${file}: ${problem.message}`);
  }
  return list.map((d) => d.toJS() as Json).filter((d) => d !== null);
}

function kindOf(command: unknown): Kind | undefined {
  const text = JSON.stringify(command ?? '');
  if (text.includes('services/gateway/')) return 'gateway';
  if (text.includes('services/aggregator/')) return 'aggregator';
  if (text.includes('services/webhooks/')) return 'webhooks';
  return undefined;
}

const asObject = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const asArray = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

// ---- Docker Compose ----

/** `${VAR:-default}` → default; `${VAR}` and `${VAR:?message}` must be secrets, set by the user. */
function interpolate(value: string, where: string): string {
  return value.replace(/\$\{(\w+)(?::?([-?])([^}]*))?\}/g, (_, name: string, op, arg: string) => {
    if (op === '-') return arg;
    if (/SECRET|PASSWORD|KEY/.test(name)) return dummyFor(name);
    throw new Error(`${where}: \${${name}} has no default and is not a secret`);
  });
}

function seconds(duration: unknown): number | undefined {
  const m = /^(\d+)(ms|s|m)$/.exec(String(duration ?? ''));
  if (!m) return undefined;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] as 'ms' | 's' | 'm'];
}

export function composeContainers(file = 'docker-compose.yml'): RoarContainer[] {
  const [compose] = readYaml(file);
  const out: RoarContainer[] = [];
  for (const [name, svc] of Object.entries(asObject(compose?.services))) {
    const service = asObject(svc);
    const kind = kindOf(service.command);
    if (!kind) continue;
    const where = `${file} ${name}`;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(asObject(service.environment))) {
      env[k] = interpolate(String(v), where);
    }
    // "8081:8080" publishes container port 8080; `expose` lists ports for the compose network.
    const ports = [...asArray(service.ports), ...asArray(service.expose)].map((p) => ({
      port: Number(String(p).split(':').at(-1)),
    }));
    const probe = (JSON.stringify(asObject(service.healthcheck).test ?? '').match(
      /http:\/\/[^/]+:(\d+)(\/\w+)/,
    ) ?? []) as string[];
    const grace = seconds(service.stop_grace_period);
    out.push({
      where,
      kind,
      env,
      ports,
      ...(probe[2] ? { readiness: { path: probe[2], port: Number(probe[1]) } } : {}),
      ...(grace !== undefined ? { stopGraceMs: grace * 1000 } : {}),
      preStopMs: 0,
    });
  }
  return out;
}

// ---- Kubernetes ----

function cpuUnits(quantity: unknown): number {
  const q = String(quantity);
  return q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q);
}

/** Every Deployment or StatefulSet container that runs a Roar service, with its resolved env. */
export function kubernetesContainers(objects: Json[]): RoarContainer[] {
  const byKind = (kind: string): Json[] => objects.filter((o) => o.kind === kind);
  const named = (kind: string, name: unknown): Json => {
    const found = byKind(kind).find((o) => asObject(o.metadata).name === name);
    if (!found) throw new Error(`no ${kind} named ${String(name)}`);
    return found;
  };
  const configMap = (name: unknown): Json => asObject(named('ConfigMap', name).data);
  // Secrets' values are replaced: the manifests carry placeholders.
  const secret = (name: unknown): Json => {
    const s = named('Secret', name);
    const keys = Object.keys({ ...asObject(s.data), ...asObject(s.stringData) });
    return Object.fromEntries(keys.map((k) => [k, dummyFor(k)]));
  };
  // What Kubernetes injects for every Service in the namespace unless enableServiceLinks: false.
  const serviceLinks: Record<string, string> = {};
  for (const svc of byKind('Service')) {
    const prefix = String(asObject(svc.metadata).name).toUpperCase().replace(/-/g, '_');
    serviceLinks[`${prefix}_SERVICE_HOST`] = '10.0.0.1';
    serviceLinks[`${prefix}_PORT`] = 'tcp://10.0.0.1:80';
  }

  const out: RoarContainer[] = [];
  for (const workload of [...byKind('Deployment'), ...byKind('StatefulSet')]) {
    const template = asObject(asObject(workload.spec).template);
    const podName = `${String(asObject(workload.metadata).name)}-7c9d8f6b5-x2k4l`;
    const pod = asObject(template.spec);
    const annotations = asObject(asObject(template.metadata).annotations);
    for (const container of asArray(pod.containers)) {
      const kind = kindOf([container.command, container.args]);
      if (!kind) continue;
      const where = `${String(asObject(workload.metadata).name)}/${String(container.name)}`;
      const env: Record<string, string> =
        pod.enableServiceLinks === false ? {} : { ...serviceLinks };
      for (const from of asArray(container.envFrom)) {
        const source = from.configMapRef
          ? configMap(asObject(from.configMapRef).name)
          : secret(asObject(from.secretRef).name);
        for (const [k, v] of Object.entries(source))
          env[`${String(from.prefix ?? '')}${k}`] = String(v);
      }
      const limits = asObject(asObject(container.resources).limits);
      for (const e of asArray(container.env)) {
        const ref = asObject(e.valueFrom);
        let value: unknown = e.value;
        if (ref.configMapKeyRef) {
          const r = asObject(ref.configMapKeyRef);
          value = configMap(r.name)[String(r.key)];
        } else if (ref.secretKeyRef) {
          value = dummyFor(String(e.name));
        } else if (ref.fieldRef) {
          const path = asObject(ref.fieldRef).fieldPath;
          if (path !== 'metadata.name')
            throw new Error(`${where}: unexpected fieldRef ${String(path)}`);
          value = podName;
        } else if (ref.resourceFieldRef) {
          const r = asObject(ref.resourceFieldRef);
          const resource = String(r.resource).replace(/^limits\./, '');
          value = Math.ceil(cpuUnits(limits[resource]) / cpuUnits(r.divisor ?? '1'));
        }
        if (value === undefined) throw new Error(`${where}: ${String(e.name)} resolves to nothing`);
        env[String(e.name)] = String(value);
      }
      const ports = asArray(container.ports).map((p) => ({
        name: String(p.name),
        port: Number(p.containerPort),
      }));
      const portOf = (p: unknown): number =>
        typeof p === 'number' ? p : (ports.find((q) => q.name === p)?.port ?? NaN);
      const probe = (p: unknown): { path: string; port: number } | undefined => {
        const get = asObject(asObject(p).httpGet);
        return get.path ? { path: String(get.path), port: portOf(get.port) } : undefined;
      };
      const readiness = probe(container.readinessProbe);
      const liveness = probe(container.livenessProbe);
      const preStop = JSON.stringify(asObject(container.lifecycle).preStop ?? '');
      const sleep = /"sleep","(\d+)"/.exec(preStop);
      out.push({
        where,
        kind,
        env,
        ports,
        ...(readiness ? { readiness } : {}),
        ...(liveness ? { liveness } : {}),
        stopGraceMs: Number(pod.terminationGracePeriodSeconds ?? 30) * 1000,
        preStopMs: sleep ? Number(sleep[1]) * 1000 : 0,
        ...(annotations['prometheus.io/port']
          ? { scrapePort: Number(annotations['prometheus.io/port']) }
          : {}),
      });
    }
  }
  return out;
}

/** The Kubernetes objects kustomization.yaml applies, ConfigMap generators left aside. */
export function kubernetesObjects(): Json[] {
  const [kustomization] = readYaml('k8s/kustomization.yaml');
  return asArray(kustomization?.resources)
    .map(String)
    .filter((r) => /\.ya?ml$/.test(r))
    .flatMap((r) => readYaml(join('k8s', r)));
}
