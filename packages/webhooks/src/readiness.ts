/**
 * What `GET /readyz` of the webhook process answers (docs/openapi.yaml, `WebhookReadiness`):
 * ready when every part is, and in words what is not.
 */
export interface WebhookReadiness {
  /** Its NATS connection is up (true in embedded mode, which has none of its own). */
  nats: boolean;
  /** The dead-letter journal can store (JetStream: its stream made sure of since the last (re)connect). */
  deadLetters: boolean;
  /** Per endpoint id: its feed opened its consumer since the last (re)connect. */
  feeds: Record<string, boolean>;
  /** What is not ready, one sentence each; empty when ready. */
  missing: string[];
}

/** The parts `/readyz` looks at, as they stand now. */
export interface ReadinessParts {
  nats: boolean;
  deadLetters: { readonly ready: boolean };
  feeds: readonly { endpoint: string; feed: { readonly ready: boolean } }[];
}

export function readiness(parts: ReadinessParts): WebhookReadiness {
  const missing: string[] = [];
  if (!parts.nats) missing.push('NATS is disconnected');
  if (!parts.deadLetters.ready) missing.push('the dead-letter journal is not open');
  const feeds: Record<string, boolean> = {};
  for (const { endpoint, feed } of parts.feeds) {
    feeds[endpoint] = feed.ready;
    if (!feed.ready)
      missing.push(`endpoint ${endpoint}: its consumer is not open since the last (re)connect`);
  }
  return { nats: parts.nats, deadLetters: parts.deadLetters.ready, feeds, missing };
}
