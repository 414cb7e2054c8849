import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A verified ticket: where its holder stands, and when it may come in. */
export interface Ticket {
  /** When the holder first arrived (ms, the issuing gateway's clock): the queue's order. */
  arrivedAt: number;
  /** Breaks ties between arrivals in the same millisecond, per issuing gateway. */
  seq: number;
  /** The earliest time the ticket admits its holder. */
  comeBackAt: number;
  /** After this the ticket is worth nothing. */
  expiresAt: number;
}

/** What a refused client is handed: the token to come back with, and when. */
export interface IssuedTicket {
  /** The signed ticket, to send back as `ticket` (query parameter). */
  ticket: string;
  /** About how many clients are admitted before this one. */
  position: number;
  /** How long to wait before coming back with the token. */
  retryAfterMs: number;
}

export interface AdmissionTicketOptions {
  /** HMAC key; every gateway of a cluster needs the same one. */
  secret: string;
  /** Ticket holders admitted per second: the pace the come-back times are spaced at. */
  ratePerS: number;
  /** How long after its come-back time a ticket still admits. */
  windowMs: number;
}

/** Longer than any ticket this module signs (about 90 characters). */
export const MAX_TICKET_CHARS = 200;

/**
 * The longest queue a gateway hands places in: past it a newcomer is refused without a ticket
 * (and retries with its backoff). Bounds what anyone collecting places can push everyone back by.
 */
export const MAX_QUEUE_MS = 300_000;

/** A ticket presented this much before its come-back time still admits (clock skew, timers). */
export const EARLY_SLACK_MS = 250;

const b64 = (b: Buffer): string => b.toString('base64url');

/**
 * Fair admission without per-client state (issue 18): a refused client gets a signed ticket
 * (HMAC-SHA256 over its arrival time, a sequence number, its come-back time, its expiry and its
 * address) and comes back with it at that time. Come-back times are handed out in arrival order,
 * `1 / ratePerS` apart, so the queue drains at the admission rate in the order clients arrived.
 * A ticket cannot be forged (the MAC), moved to another address, used before its time, or used
 * after `windowMs` past it; within that window a holder may use it again (a reconnect after a
 * failed dial), which costs at most the per-address cap. A ticket from another gateway with the
 * same secret counts the same; one under another secret (a process with a random one) is no
 * ticket: its holder queues again, never jumps ahead.
 */
export class AdmissionTickets {
  readonly #o: AdmissionTicketOptions;
  readonly #gapMs: number;
  /** The come-back time the next new arrival gets. */
  #nextSlot = 0;
  #seq = 0;

  constructor(options: AdmissionTicketOptions) {
    this.#o = options;
    this.#gapMs = 1000 / options.ratePerS;
  }

  /** True while come-back times are handed out ahead of `now`: there is a queue. */
  queued(now: number): boolean {
    return this.#nextSlot > now;
  }

  /**
   * A ticket for a client refused at `now`. A holder of a valid `prior` keeps its place (its
   * arrival and sequence) and its come-back time if that is still ahead; otherwise the next
   * free time, or undefined when that is more than `MAX_QUEUE_MS` away. `notBefore` holds
   * everyone back (a closed gateway's retry-after).
   */
  issue(ip: string, now: number, prior?: Ticket, notBefore = now): IssuedTicket | undefined {
    let comeBackAt: number;
    if (prior && prior.comeBackAt >= Math.max(now, notBefore)) comeBackAt = prior.comeBackAt;
    else if (prior) {
      // Its time passed while the gateway could not take it (closed, full): first in line
      // again, and newcomers queue behind it.
      comeBackAt = Math.max(now, notBefore);
      this.#nextSlot = Math.max(this.#nextSlot, comeBackAt + this.#gapMs);
    } else {
      comeBackAt = Math.max(this.#nextSlot, now, notBefore);
      if (comeBackAt - now > MAX_QUEUE_MS) return undefined;
      this.#nextSlot = comeBackAt + this.#gapMs;
    }
    const ticket: Ticket = {
      arrivedAt: prior?.arrivedAt ?? now,
      seq: prior?.seq ?? ++this.#seq,
      comeBackAt: Math.round(comeBackAt),
      expiresAt: Math.round(comeBackAt + this.#o.windowMs),
    };
    return {
      ticket: this.#sign(ticket, ip),
      position: Math.max(0, Math.ceil((comeBackAt - now) / this.#gapMs)),
      retryAfterMs: Math.max(0, Math.ceil(comeBackAt - now)),
    };
  }

  /**
   * The ticket in `token` when it is genuine, for `ip`, and not expired at `now`; undefined
   * otherwise. Whether it is due yet is `due`'s question.
   */
  verify(token: string, ip: string, now: number): Ticket | undefined {
    if (token.length > MAX_TICKET_CHARS) return undefined;
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const body = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.#mac(body, ip);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
    const fields = Buffer.from(body, 'base64url').toString('utf8').split('.');
    if (fields.length !== 5 || fields[0] !== 'v1') return undefined;
    const [arrivedAt, seq, comeBackAt, expiresAt] = fields.slice(1).map(Number);
    if (![arrivedAt, seq, comeBackAt, expiresAt].every((n) => Number.isSafeInteger(n))) {
      return undefined;
    }
    const ticket = { arrivedAt, seq, comeBackAt, expiresAt } as Ticket;
    return now > ticket.expiresAt ? undefined : ticket;
  }

  /** True when `ticket`'s come-back time has come. */
  due(ticket: Ticket, now: number): boolean {
    return now + EARLY_SLACK_MS >= ticket.comeBackAt;
  }

  #sign(t: Ticket, ip: string): string {
    const body = b64(Buffer.from(`v1.${t.arrivedAt}.${t.seq}.${t.comeBackAt}.${t.expiresAt}`));
    return `${body}.${b64(this.#mac(body, ip))}`;
  }

  #mac(body: string, ip: string): Buffer {
    // The address goes into the MAC, not the token: a ticket says nothing about its holder.
    const address = createHash('sha256').update(ip).digest();
    return createHmac('sha256', this.#o.secret)
      .update(body)
      .update(address)
      .digest()
      .subarray(0, 16);
  }
}

/** The ticket secret: configured, else derived from a configured one, else random per process. */
export function ticketSecret(config: {
  admissionTicketSecret: string | undefined;
  jwtSecret: string | undefined;
  anonIdSecret: string | undefined;
}): string {
  if (config.admissionTicketSecret) return config.admissionTicketSecret;
  const base = config.anonIdSecret ?? config.jwtSecret;
  if (base) return createHmac('sha256', base).update('roar admission tickets').digest('base64url');
  return b64(randomBytes(32));
}
