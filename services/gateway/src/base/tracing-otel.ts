import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { BusHeaders } from '@roar/bus';
import type { EncodedEvent } from '@roar/protocol';
import type { AdminSpan, Tracing, TracingConfig } from './tracing.js';

const propagator = new W3CTraceContextPropagator();

const busGetter: TextMapGetter<BusHeaders> = {
  get: (carrier, key) => carrier.get(key),
  keys: () => ['traceparent', 'tracestate'],
};

const headerGetter: TextMapGetter<Record<string, string>> = {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
};

/** `Tracing` over the OpenTelemetry SDK, exporting OTLP/HTTP in batches. Loaded only when on. */
export class OtelTracing implements Tracing {
  readonly #provider: TracerProvider;
  readonly #tracer: Tracer;
  readonly #gateway: string;
  /** Delivery spans of chat events waiting for their batch to be written. */
  readonly #open = new WeakMap<EncodedEvent, Span>();

  constructor(config: TracingConfig) {
    this.#gateway = config.gatewayId;
    this.#provider = new TracerProvider({
      resource: resourceFromAttributes({
        'service.name': 'roar-gateway',
        'service.instance.id': config.gatewayId,
      }),
      sampler: new ParentBasedSampler({
        root: new TraceIdRatioBasedSampler(config.traceSampleRatio),
      }),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: config.otlpEndpoint }),
          scheduledDelayMillis: 1000,
        }),
      ],
    });
    this.#tracer = this.#provider.getTracer('roar-gateway');
  }

  chatAccepted(stream: string, id: string, startedAt: number): Readonly<Record<string, string>> {
    const span = this.#tracer.startSpan(
      'roar.chat.accept',
      {
        kind: SpanKind.PRODUCER,
        startTime: startedAt,
        attributes: {
          'roar.stream': stream,
          'roar.message_id': id,
          'roar.gateway': this.#gateway,
          'messaging.system': 'nats',
        },
      },
      ROOT_CONTEXT,
    );
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, {
      set: (c, k, v) => {
        c[k] = v;
      },
    });
    span.end();
    return carrier;
  }

  chatReceived(event: EncodedEvent, stream: string, headers: BusHeaders): void {
    const parent = propagator.extract(ROOT_CONTEXT, headers, busGetter);
    if (trace.getSpanContext(parent) === undefined) return;
    const id = event.event.type === 'chat' ? event.event.id : '';
    const span = this.#tracer.startSpan(
      'roar.chat.deliver',
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'roar.stream': stream,
          'roar.message_id': id,
          'roar.gateway': this.#gateway,
          'messaging.system': 'nats',
        },
      },
      parent,
    );
    this.#open.set(event, span);
  }

  delivered(events: readonly EncodedEvent[]): void {
    for (const e of events) {
      const span = this.#open.get(e);
      if (span === undefined) continue;
      this.#open.delete(e);
      span.end();
    }
  }

  admin(
    method: string,
    route: string,
    requestId: string,
    traceparent: string | undefined,
  ): AdminSpan {
    const parent: Context =
      traceparent === undefined
        ? ROOT_CONTEXT
        : propagator.extract(ROOT_CONTEXT, { traceparent }, headerGetter);
    const verb = method.toUpperCase();
    const span = this.#tracer.startSpan(
      `${verb} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': verb,
          'http.route': route,
          'roar.request_id': requestId,
          'roar.gateway': this.#gateway,
        },
      },
      parent,
    );
    return {
      end(status: number) {
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    };
  }

  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }
}
