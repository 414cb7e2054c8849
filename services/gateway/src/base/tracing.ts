import type { BusHeaders } from '@roar/bus';
import type { EncodedEvent } from '@roar/protocol';
import type { GatewayConfig } from './config.js';

/** The end of an admin API call's span. */
export interface AdminSpan {
  end(status: number): void;
}

/**
 * OpenTelemetry traces of the gateway, off by default (`ROAR_TRACING`). Components hold a
 * `Tracing | undefined` and call it only when defined: with tracing off nothing here runs and
 * nothing is allocated on the chat path, and the SDK is not even loaded.
 *
 * A chat message's trace: `roar.chat.accept` on the gateway that took it (frame read → published),
 * its context carried to every gateway in the NATS message's `traceparent` header, then on each
 * gateway `roar.chat.deliver` (received from the bus → its batch written to every socket there).
 */
export interface Tracing {
  /**
   * A chat message about to be published: records its accept span (from `startedAt`, epoch ms, to
   * now) and returns the headers that carry its context, to publish with it.
   */
  chatAccepted(stream: string, id: string, startedAt: number): Readonly<Record<string, string>>;
  /** A chat event received from the bus with `headers`: opens its delivery span. */
  chatReceived(event: EncodedEvent, stream: string, headers: BusHeaders): void;
  /** A batch written to every socket of its stream: closes the delivery spans of its events. */
  delivered(events: readonly EncodedEvent[]): void;
  /** An admin API call; `traceparent` is the caller's header, if any. */
  admin(
    method: string,
    route: string,
    requestId: string,
    traceparent: string | undefined,
  ): AdminSpan;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

export type TracingConfig = Pick<
  GatewayConfig,
  'tracing' | 'otlpEndpoint' | 'traceSampleRatio' | 'gatewayId'
>;

/** The gateway's tracing, or undefined when `ROAR_TRACING=off` (the SDK is then never imported). */
export async function startTracing(config: TracingConfig): Promise<Tracing | undefined> {
  if (config.tracing === 'off') return undefined;
  const { OtelTracing } = await import('./tracing-otel.js');
  return new OtelTracing(config);
}
