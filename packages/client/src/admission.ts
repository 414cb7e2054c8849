/**
 * The SDK's side of fair admission (docs/protocol.md, "Admission tickets"): after a dial that
 * never got its welcome (a refused upgrade looks like that to a browser), the client asks
 * `GET /v1/admission` for a place, waits the time it names, and dials again with the ticket,
 * which keeps its place if it has to ask again.
 */

/** A place in a gateway's admission queue. */
export interface AdmissionPlace {
  /** The signed ticket, sent back as the `ticket` query parameter of the next dial. */
  ticket: string;
  /** About how many clients are admitted before this one. */
  position: number;
  /** How long to wait before dialling with the ticket. */
  retryAfterMs: number;
}

/** `fetch` as the admission query uses it: a GET whose JSON body is read. */
export type AdmissionFetch = (url: string) => Promise<{ ok: boolean; json(): Promise<unknown> }>;

/** The longest wait a gateway's answer is believed for: a longer one is cut to this. */
export const MAX_ADMISSION_WAIT_MS = 5 * 60_000;

/**
 * The admission endpoint next to a WebSocket endpoint: `wss://host/prefix/ws` becomes
 * `https://host/prefix/v1/admission`, with the ticket held so far.
 */
export function admissionUrl(wsUrl: string, ticket: string | undefined): string {
  const url = new URL(wsUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = `${url.pathname.replace(/\/ws\/?$/, '').replace(/\/$/, '')}/v1/admission`;
  url.search = '';
  url.hash = '';
  if (ticket !== undefined) url.searchParams.set('ticket', ticket);
  return url.toString();
}

/** The place in a gateway's answer, or undefined when it is not one (an old server, a proxy). */
export function parsePlace(body: unknown): AdmissionPlace | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { ticket, position, retryAfterMs } = body as Partial<Record<string, unknown>>;
  if (typeof ticket !== 'string' || ticket.length === 0 || ticket.length > 200) return undefined;
  if (typeof position !== 'number' || !Number.isFinite(position) || position < 0) return undefined;
  if (typeof retryAfterMs !== 'number' || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
    return undefined;
  }
  return {
    ticket,
    position: Math.round(position),
    retryAfterMs: Math.min(retryAfterMs, MAX_ADMISSION_WAIT_MS),
  };
}

/** Asks for a place; undefined when the endpoint cannot be reached or says nothing usable. */
export async function askAdmission(
  fetch: AdmissionFetch,
  wsUrl: string,
  ticket: string | undefined,
): Promise<AdmissionPlace | undefined> {
  try {
    const res = await fetch(admissionUrl(wsUrl, ticket));
    return res.ok ? parsePlace(await res.json()) : undefined;
  } catch {
    // Unreachable (the gateway is down, not busy): the ordinary backoff applies.
    return undefined;
  }
}
