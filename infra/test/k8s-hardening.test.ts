import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INFRA, kubernetesObjects, readYaml } from './manifests.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const nameOf = (o: Json): string => String(obj(o.metadata).name);

const objects = kubernetesObjects();
const byKind = (kind: string): Json[] => objects.filter((o) => o.kind === kind);
const workloads = [...byKind('Deployment'), ...byKind('StatefulSet')];
const podOf = (w: Json): Json => obj(obj(obj(w.spec).template).spec);
const labelsOf = (w: Json): Record<string, string> =>
  obj(obj(obj(w.spec).template).metadata).labels as Record<string, string>;

/** Whether a label selector (matchLabels and `In` expressions) selects pods with `labels`. */
function selects(selector: unknown, labels: Record<string, string>): boolean {
  const s = obj(selector);
  const match = Object.entries(obj(s.matchLabels)).every(([k, v]) => labels[k] === v);
  const expressions = arr(s.matchExpressions).every(
    (e) => e.operator === 'In' && (e.values as string[]).includes(labels[String(e.key)] ?? ''),
  );
  return match && expressions;
}

describe('Kubernetes manifests: hardened pods', () => {
  it('covers the five workloads', () => {
    expect(workloads.map(nameOf).sort()).toEqual([
      'aggregator',
      'gateway',
      'nats',
      'redis',
      'webhooks',
    ]);
  });

  it('runs every pod as non-root, with RuntimeDefault seccomp and no service account token', () => {
    const accounts = byKind('ServiceAccount');
    for (const w of workloads) {
      const pod = podOf(w);
      const where = nameOf(w);
      const security = obj(pod.securityContext);
      expect(security.runAsNonRoot, where).toBe(true);
      expect(Number(security.runAsUser), where).toBeGreaterThan(0);
      expect(obj(security.seccompProfile).type, where).toBe('RuntimeDefault');
      expect(pod.automountServiceAccountToken, where).toBe(false);
      const account = accounts.find((a) => nameOf(a) === pod.serviceAccountName);
      expect(account, `${where}: service account ${String(pod.serviceAccountName)}`).toBeDefined();
      expect(account?.automountServiceAccountToken, where).toBe(false);
      for (const c of arr(pod.containers)) {
        const cs = obj(c.securityContext);
        const at = `${where}/${String(c.name)}`;
        expect(cs.allowPrivilegeEscalation, at).toBe(false);
        expect(cs.readOnlyRootFilesystem, at).toBe(true);
        expect(obj(cs.capabilities).drop, at).toEqual(['ALL']);
        // Liveness only starts once the container has started: a slow start is no restart loop.
        expect(c.startupProbe, at).toBeDefined();
        expect(c.livenessProbe, at).toBeDefined();
        expect(obj(c.livenessProbe).initialDelaySeconds, at).toBeUndefined();
      }
    }
  });

  it('pins every image: Roar at the packages’ version, NATS and Redis at a release', () => {
    const [kustomization] = readYaml('k8s/kustomization.yaml');
    const roar = arr(kustomization?.images).find((i) => i.name === 'roar');
    const version = (
      JSON.parse(readFileSync(join(INFRA, '../packages/client/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(roar?.newTag).toBe(version);
    for (const w of workloads) {
      for (const c of arr(podOf(w).containers)) {
        const image = String(c.image);
        if (image === 'roar') continue; // tagged by kustomization.yaml
        expect(image, nameOf(w)).toMatch(/^[\w./-]+:\d+\.\d+[\w.-]*$/);
        expect(image).not.toMatch(/:latest$/);
      }
    }
  });

  it('denies ingress by default and admits only what each part needs', () => {
    const policies = byKind('NetworkPolicy');
    const deny = policies.find(
      (p) =>
        Object.keys(obj(obj(p.spec).podSelector)).length === 0 &&
        (obj(p.spec).policyTypes as string[]).includes('Ingress') &&
        obj(p.spec).ingress === undefined,
    );
    expect(deny, 'a default-deny ingress policy').toBeDefined();
    /** The ports a workload's pods accept, and from whom (undefined: anyone). */
    const admitted = (w: Json): { port: number; from: unknown }[] =>
      policies
        .filter((p) => p !== deny && selects(obj(p.spec).podSelector, labelsOf(w)))
        .flatMap((p) =>
          arr(obj(p.spec).ingress).flatMap((rule) =>
            arr(rule.ports).map((port) => ({ port: Number(port.port), from: rule.from })),
          ),
        );
    const find = (name: string): Json => workloads.find((w) => nameOf(w) === name) ?? {};
    // Viewers reach the gateways from anywhere; nothing else is open to the world.
    expect(admitted(find('gateway'))).toEqual([{ port: 8080, from: undefined }]);
    for (const name of ['aggregator', 'nats', 'redis', 'webhooks']) {
      const rules = admitted(find(name));
      expect(rules.length, name).toBeGreaterThan(0);
      for (const rule of rules) expect(rule.from, `${name}:${rule.port}`).toBeDefined();
    }
    // Redis (no password) and NATS clients: only from gateway and aggregator pods.
    const fromPods = (name: string, port: number): string[] =>
      arr(admitted(find(name)).find((r) => r.port === port)?.from).flatMap((f) =>
        ['gateway', 'aggregator', 'webhooks', 'nats', 'redis'].filter((app) =>
          selects(f.podSelector, { 'app.kubernetes.io/name': app }),
        ),
      );
    expect(fromPods('redis', 6379)).toEqual(['gateway', 'aggregator']);
    expect(fromPods('nats', 4222)).toEqual(['gateway', 'aggregator', 'webhooks']);
    expect(fromPods('nats', 6222)).toEqual(['nats']);
    // Every port a policy opens is one the pods listen on.
    for (const w of workloads) {
      const ports = arr(podOf(w).containers).flatMap((c) =>
        arr(c.ports).map((p) => Number(p.containerPort)),
      );
      for (const rule of admitted(w)) expect(ports, nameOf(w)).toContain(rule.port);
    }
  });

  it('offers a ServiceMonitor for the gateways’, aggregators’ and webhooks’ metrics ports', () => {
    const [kustomization] = readYaml('k8s/monitoring/kustomization.yaml');
    expect(kustomization?.resources).toEqual(['..', 'servicemonitor.yaml']);
    const [monitor] = readYaml('k8s/monitoring/servicemonitor.yaml');
    expect(monitor?.kind).toBe('ServiceMonitor');
    const spec = obj(monitor?.spec);
    const endpoint = arr(spec.endpoints)[0];
    expect(endpoint?.path).toBe('/metrics');
    const scraped = byKind('Service').filter((s) =>
      selects(spec.selector, obj(obj(s.metadata).labels) as Record<string, string>),
    );
    expect(scraped.map(nameOf).sort()).toEqual(['aggregator', 'gateway', 'webhooks']);
    for (const service of scraped) {
      // The named Service port exists and leads to the container port the pods serve /metrics on.
      const port = arr(obj(service.spec).ports).find((p) => p.name === endpoint?.port);
      expect(port, nameOf(service)).toBeDefined();
      const workload = workloads.find((w) => nameOf(w) === nameOf(service)) ?? {};
      const annotated = obj(obj(obj(workload.spec).template).metadata).annotations as Json;
      const target = arr(podOf(workload).containers)
        .flatMap((c) => arr(c.ports))
        .find((p) => p.name === port?.targetPort);
      expect(Number(target?.containerPort)).toBe(Number(annotated['prometheus.io/port']));
    }
  });
});
