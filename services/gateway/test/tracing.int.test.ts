import { Subjects, connectNatsBus, type NatsBus } from '@roar/bus';
import { NatsServer, RedisServer, waitFor, type TestClient } from '@roar/testkit';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterEnv, gatewayProcess, type Node } from './cluster-harness.js';

/** A span as the OTLP/HTTP JSON exporter sends it. */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: number | string } }[];
  service: string;
}

/** An OTLP/HTTP traces endpoint on loopback that keeps every span it receives. */
async function collector(): Promise<{ url: string; spans: OtlpSpan[]; server: Server }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: OtlpSpan['attributes'] };
          scopeSpans: { spans: Omit<OtlpSpan, 'service'>[] }[];
        }[];
      };
      for (const rs of body.resourceSpans) {
        const service =
          rs.resource.attributes.find((a) => a.key === 'service.instance.id')?.value.stringValue ??
          '';
        for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, spans, server };
}

function attr(span: OtlpSpan, key: string): string | undefined {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue !== undefined ? String(v.intValue) : undefined);
}

const KEY = 'tracing-test-admin-key-0123456789abcdef';
const PREFIX = `tr${Date.now().toString(36)}`;

describe('OpenTelemetry traces (ROAR_TRACING=otlp)', () => {
  let nats: NatsServer;
  let redis: RedisServer;
  let otlp: Awaited<ReturnType<typeof collector>>;
  let spy: NatsBus;
  const nodes: Node[] = [];
  const clients: TestClient[] = [];
  /** Headers of the chat messages on the bus, as a third gateway would receive them. */
  const seen: (string | undefined)[] = [];

  beforeAll(async () => {
    nats = await NatsServer.start();
    redis = await RedisServer.start();
    otlp = await collector();
    spy = await connectNatsBus({ servers: nats.url });
    spy.subscribe(new Subjects(PREFIX).stream('*', 'chat'), (_p, _s, h) =>
      seen.push(h?.get('traceparent')),
    );
    await spy.flush();
    const traced = {
      ...clusterEnv(nats, redis, PREFIX),
      ROAR_TRACING: 'otlp',
      ROAR_OTLP_ENDPOINT: otlp.url,
      ROAR_ADMIN_API_KEYS: `ops:${KEY}`,
    };
    nodes.push(await gatewayProcess({ ...traced, ROAR_GATEWAY_ID: 'gw-a' }));
    nodes.push(await gatewayProcess({ ...traced, ROAR_GATEWAY_ID: 'gw-b' }));
    // Tracing off: the default.
    nodes.push(
      await gatewayProcess({ ...clusterEnv(nats, redis, PREFIX), ROAR_GATEWAY_ID: 'gw-c' }),
    );
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.terminate();
    for (const n of nodes) await n[Symbol.asyncDispose]();
    await spy?.close();
    otlp?.server.close();
    await nats?.stop();
    await redis?.stop();
  });

  it('follows a chat message from the gateway that took it to the sockets of another', async () => {
    const [a, b] = nodes as [Node, Node];
    const viewer = await b.viewer('traced');
    const chatter = await a.viewer('traced', { user: 'tracer' });
    clients.push(viewer, chatter);
    const ack = await chatter.request({ type: 'chat', stream: 'traced', text: 'follow me' });
    expect(ack).toMatchObject({ type: 'ack' });
    const id = (ack as { id: string }).id;
    await waitFor(() => viewer.events('traced').some((e) => e.type === 'chat' && e.id === id), {
      timeoutMs: 5000,
      message: 'the chat on gateway b',
    });

    await waitFor(
      () =>
        otlp.spans.some((s) => s.name === 'roar.chat.deliver' && s.service === 'gw-b') &&
        otlp.spans.some((s) => s.name === 'roar.chat.accept'),
      { timeoutMs: 15_000, intervalMs: 100, message: 'accept and deliver spans exported' },
    );
    const accept = otlp.spans.find(
      (s) => s.name === 'roar.chat.accept' && attr(s, 'roar.message_id') === id,
    ) as OtlpSpan;
    expect(accept.service).toBe('gw-a');
    expect(attr(accept, 'roar.stream')).toBe('traced');
    const deliver = otlp.spans.find(
      (s) => s.name === 'roar.chat.deliver' && s.service === 'gw-b',
    ) as OtlpSpan;
    expect(deliver.traceId).toBe(accept.traceId);
    expect(deliver.parentSpanId).toBe(accept.spanId);
    expect(attr(deliver, 'roar.message_id')).toBe(id);
    // The message carried its context on the bus.
    expect(seen).toContain(`00-${accept.traceId}-${accept.spanId}-01`);
  });

  it('sends no trace context and no span from a gateway with tracing off', async () => {
    const c = nodes[2] as Node;
    const chatter = await c.viewer('untraced', { user: 'quiet' });
    clients.push(chatter);
    const before = seen.length;
    const ack = await chatter.request({ type: 'chat', stream: 'untraced', text: 'not traced' });
    expect(ack).toMatchObject({ type: 'ack' });
    await waitFor(() => seen.length > before, { timeoutMs: 5000, message: 'the chat on the bus' });
    expect(seen.slice(before)).toEqual([undefined]);
    expect(otlp.spans.filter((s) => attr(s, 'roar.gateway') === 'gw-c')).toEqual([]);
  });

  it('traces admin API calls under the caller’s trace, with the request id', async () => {
    const a = nodes[0] as Node;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`http://127.0.0.1:${a.port}/admin/v1/degradation`, {
      headers: {
        'x-api-key': KEY,
        'x-request-id': 'trace-req-1',
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
    });
    expect(res.status).toBe(200);
    await waitFor(() => otlp.spans.some((s) => attr(s, 'roar.request_id') === 'trace-req-1'), {
      timeoutMs: 15_000,
      intervalMs: 100,
      message: 'the admin span exported',
    });
    const span = otlp.spans.find((s) => attr(s, 'roar.request_id') === 'trace-req-1') as OtlpSpan;
    expect(span.name).toBe('GET /admin/v1/degradation');
    expect(span.traceId).toBe(traceId);
    expect(span.parentSpanId).toBe('00f067aa0ba902b7');
    expect(attr(span, 'http.response.status_code')).toBe('200');
  });
});
