// Issue 18: the example objects that scale gateways from the schedule read what the gateway
// really serves (the path and field of GET /v1/scale, the metric's name) and aim at the real
// Deployment, and the overlay kustomization swaps the base HPA for KEDA's instead of adding one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INFRA, kubernetesObjects, readYaml } from './manifests.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);
const ROOT = join(INFRA, '..');
const source = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

const base = kubernetesObjects();
const deployment = base.find((o) => o.kind === 'Deployment' && obj(o.metadata).name === 'gateway');
const service = base.find((o) => o.kind === 'Service' && obj(o.metadata).name === 'gateway');

describe('scaling gateways ahead of scheduled events', () => {
  it('KEDA polls GET /v1/scale on the gateway Service for the field the gateway answers', () => {
    const [scaled] = readYaml('k8s/scheduled-scaling/keda-scaledobject.yaml');
    const spec = obj(scaled?.spec);
    expect(obj(spec.scaleTargetRef)).toMatchObject({ kind: 'Deployment', name: 'gateway' });
    expect(deployment).toBeDefined();
    const api = arr(spec.triggers).find((t) => t.type === 'metrics-api');
    const meta = obj(api?.metadata);
    const url = new URL(String(meta.url));
    expect(url.pathname).toBe('/v1/scale');
    // The Service's name and the port it exposes (80 → the container's http port).
    expect(url.hostname.split('.')[0]).toBe(obj(service?.metadata).name);
    const port = arr(obj(service?.spec).ports)[0];
    expect(Number(url.port || 80)).toBe(Number(port?.port));
    // The field is one the endpoint returns, in the code and in the document.
    expect(meta.valueLocation).toBe('gatewaysNeeded');
    expect(source('services/gateway/src/scheduled/scale-signal.ts')).toMatch(
      /gatewaysNeeded: number/,
    );
    const doc = parse(source('docs/openapi.yaml')) as Json;
    const scale = obj(obj(obj(doc.paths)['/v1/scale']).get);
    const schema = obj(
      obj(obj(obj(obj(obj(scale.responses)['200']).content)['application/json']).schema),
    );
    expect(arr(schema.required as unknown[])).toContain('gatewaysNeeded');
    expect(arr(spec.triggers).map((t) => t.type)).toContain('cpu');
  });

  it('the external-metric HPA asks for the metric the gateway exports, as a pod count', () => {
    const [hpa] = readYaml('k8s/scheduled-scaling/hpa-external.yaml');
    const spec = obj(hpa?.spec);
    expect(obj(spec.scaleTargetRef)).toMatchObject({ kind: 'Deployment', name: 'gateway' });
    const external = obj(arr(spec.metrics).find((m) => m.type === 'External')?.external);
    const name = String(obj(external.metric).name);
    expect(name).toBe('roar_scheduled_gateways_needed');
    expect(source('services/gateway/src/scheduled/scale-signal.ts')).toContain(`name: '${name}'`);
    expect(obj(external.target)).toEqual({ type: 'AverageValue', averageValue: '1' });
    const [rule] = readYaml('k8s/scheduled-scaling/prometheus-adapter-rule.yaml');
    const config = parse(String(obj(rule?.data)['config.yaml'])) as Json;
    const external0 = arr(config.externalRules)[0];
    expect(obj(external0?.name).as).toBe(name);
    // Every gateway exports the same figure: the max, never the sum over pods.
    expect(String(external0?.metricsQuery)).toMatch(/^max\(/);
  });

  it('replaces the base HPA rather than running two autoscalers on one Deployment', () => {
    const [k] = readYaml('k8s/scheduled-scaling/kustomization.yaml');
    expect(k?.resources).toEqual(['..', 'keda-scaledobject.yaml']);
    const patch = arr(k?.patches)[0];
    expect(obj(patch?.target)).toEqual({ kind: 'HorizontalPodAutoscaler', name: 'gateway' });
    expect(String(patch?.patch)).toContain('$patch: delete');
    expect(base.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(true);
  });
});
