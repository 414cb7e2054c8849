import type { LogEvent } from '@roar/log';
import type { WebhookEndpoint } from './endpoints.js';
import { SIGNATURE_HEADER, signDelivery } from './signature.js';

export type DeliveryResult = 'ok' | 'http_error' | 'timeout' | 'network';

export interface DeliveryOutcome {
  result: DeliveryResult;
  error: string;
}

/** The id of a delivery: the endpoint and the positions it spans (the same on every retry). */
export function deliveryId(endpoint: string, events: readonly LogEvent[]): string {
  return `${endpoint}-${events[0]?.seq ?? 0}-${events.at(-1)?.seq ?? 0}`;
}

/**
 * POSTs one batch to an endpoint: `{"endpoint", "deliveryId", "events": [...]}`, signed (see
 * signature.ts) at the time of this attempt. Any 2xx within `timeoutMs` is a success.
 */
export async function deliver(
  endpoint: WebhookEndpoint,
  events: readonly LogEvent[],
  timeoutMs: number,
  nowMs: number,
): Promise<DeliveryOutcome> {
  const id = deliveryId(endpoint.id, events);
  const body = JSON.stringify({ endpoint: endpoint.id, deliveryId: id, events });
  try {
    const res = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'roar-webhooks/1',
        'roar-delivery-id': id,
        [SIGNATURE_HEADER]: signDelivery(endpoint.secret, body, Math.floor(nowMs / 1000)),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { result: 'ok', error: '' };
    return { result: 'http_error', error: `HTTP ${res.status}` };
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
    if (timedOut) return { result: 'timeout', error: `no answer within ${timeoutMs} ms` };
    return { result: 'network', error: error instanceof Error ? error.message : String(error) };
  }
}
