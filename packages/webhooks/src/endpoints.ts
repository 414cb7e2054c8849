import { LOG_EVENT_TYPES, isLogEventType, type LogEventType } from '@roar/log';

/** Where the app wants which events, and the secret its deliveries are signed with. */
export interface WebhookEndpoint {
  /** Names the endpoint in metrics, the admin API and its durable consumer: `A-Z a-z 0-9 _ -`. */
  id: string;
  url: string;
  secret: string;
  /** Event types delivered; every type when the configuration says `["*"]`. */
  events: LogEventType[];
}

/** An endpoint definition that cannot be used; the message names the entry and the field. */
export class EndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointError';
  }
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Checks endpoint definitions (`ROAR_WEBHOOK_ENDPOINTS`, a JSON array). URLs must be https: a
 * delivery carries chat and moderation records and its signature, which must not cross a network
 * in clear. Plain http is accepted for loopback hosts (a receiver on the same machine, tests) or
 * everywhere with `allowHttp` (development).
 */
export function parseEndpoints(value: unknown, allowHttp: boolean): WebhookEndpoint[] {
  if (!Array.isArray(value)) throw new EndpointError('endpoints must be a JSON array');
  const ids = new Set<string>();
  return value.map((entry: unknown, i) => {
    const where = `endpoint ${i}`;
    if (typeof entry !== 'object' || entry === null)
      throw new EndpointError(`${where}: not an object`);
    const { id, url, secret, events } = entry as Record<string, unknown>;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id))
      throw new EndpointError(`${where}: id must be 1-64 of A-Z a-z 0-9 _ -`);
    if (ids.has(id)) throw new EndpointError(`${where}: id "${id}" is used twice`);
    ids.add(id);
    return {
      id,
      url: checkUrl(url, `${where} (${id})`, allowHttp),
      secret: checkSecret(secret, where),
      events: checkEvents(events, where),
    };
  });
}

function checkUrl(url: unknown, where: string, allowHttp: boolean): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new EndpointError(`${where}: url is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new EndpointError(`${where}: url must be https`);
  if (parsed.username || parsed.password)
    throw new EndpointError(
      `${where}: url must not carry credentials (the signature authenticates)`,
    );
  if (parsed.protocol === 'http:' && !allowHttp && !LOOPBACK.has(parsed.hostname))
    throw new EndpointError(
      `${where}: url must be https (http only to loopback, or with ROAR_WEBHOOK_ALLOW_HTTP)`,
    );
  return parsed.toString();
}

function checkSecret(secret: unknown, where: string): string {
  if (typeof secret !== 'string' || secret.length < 32)
    throw new EndpointError(`${where}: secret must be a string of 32+ characters`);
  return secret;
}

function checkEvents(events: unknown, where: string): LogEventType[] {
  if (!Array.isArray(events) || events.length === 0)
    throw new EndpointError(`${where}: events must be a non-empty array`);
  if (events.length === 1 && events[0] === '*') return [...LOG_EVENT_TYPES];
  for (const type of events) {
    if (!isLogEventType(type))
      throw new EndpointError(
        `${where}: unknown event type ${JSON.stringify(type)} (known: ${LOG_EVENT_TYPES.join(', ')}, or "*")`,
      );
  }
  return [...new Set(events as LogEventType[])];
}
