import { loadGatewayConfig } from '@roar/gateway';
import { describe, expect, it } from 'vitest';
import { loadAggregatorConfig } from '../../services/aggregator/src/config.js';
import { loadWebhooksConfig } from '../../services/webhooks/src/config.js';
import {
  composeContainers,
  kubernetesContainers,
  kubernetesObjects,
  readYaml,
  type RoarContainer,
} from './manifests.js';

/** The copies a container asks for its JetStream stream: the log's, or the dead letters'. */
function replicas(c: RoarContainer): number {
  switch (c.kind) {
    case 'gateway':
      return loadGatewayConfig(c.env).eventLog.replicas;
    case 'aggregator':
      return loadAggregatorConfig(c.env).eventLog.replicas;
    case 'webhooks':
      return loadWebhooksConfig(c.env).deadLetterReplicas;
  }
}

describe('JetStream replicas in infra/', () => {
  it('keeps the log and the dead letters on every NATS node, in Kubernetes and compose', () => {
    const nats = kubernetesObjects().find(
      (o) => o.kind === 'StatefulSet' && (o.metadata as { name?: string }).name === 'nats',
    );
    const k8sNodes = (nats?.spec as { replicas: number }).replicas;
    const [file] = readYaml('docker-compose.yml');
    const composeNodes = Object.keys((file as { services: object }).services).filter((s) =>
      /^nats-\d+$/.test(s),
    ).length;
    expect([k8sNodes, composeNodes]).toEqual([3, 3]);
    // Every writer of a stream asks for the same copies (each brings the stream to its own), as
    // many as there are nodes: one node and its volume can be lost.
    for (const c of kubernetesContainers(kubernetesObjects()))
      expect(replicas(c), c.where).toBe(k8sNodes);
    for (const c of composeContainers()) expect(replicas(c), c.where).toBe(composeNodes);
  });
});
