import type { GatewayMetrics } from '../base/metrics.js';
import { TokenBucket } from '../base/token-bucket.js';
import { AdmissionTickets, type IssuedTicket, type Ticket } from './admission-ticket.js';

export interface AdmissionOptions {
  /** New connections per second (token bucket rate). */
  ratePerS: number;
  burst: number;
  maxConnections: number;
  maxPerIp: number;
  /** Base of the Retry-After given to refused clients; the actual value is jittered up to 2×. */
  retryAfterS: number;
  /**
   * How long an aborted slow consumer still counts against its address's cap: the kernel keeps
   * its socket (FIN-WAIT-1, with up to a send buffer of unsent data) until it gives up on a peer
   * that does not read, 340 s measured with Linux's defaults.
   */
  lingerMs: number;
  /** Signs refused clients' tickets (see `AdmissionTickets`). */
  ticketSecret: string;
  /** How long after its come-back time a ticket still admits. */
  ticketWindowMs: number;
}

export type AdmissionVerdict =
  { ok: true } | { ok: false; reason: string; retryAfterS: number; ticket?: IssuedTicket };

/**
 * Admission control, decided before any per-connection work: a connection storm (the toss, a
 * deploy) is refused with 503 rather than allowed to stall the event loop for everyone already
 * watching. A refused client gets a ticket (admission-ticket.ts) with its place and a come-back
 * time paced at the admission rate; a holder of a due ticket is admitted whatever the bucket
 * holds and pays for it (into debt). While a queue is out, newcomers are ticketed behind it
 * (`queue`) unless half a burst of tokens has built up: holders coming at their times keep the
 * bucket near empty, so a storm is admitted at the rate, in arrival order, while places nobody
 * comes back for (an old client, an attacker collecting tickets) leave their tokens to
 * newcomers and cost capacity at most half a burst. Only a refusal for the
 * per-address cap carries no ticket (it is that address's own doing).
 */
export class Admission {
  readonly #o: AdmissionOptions;
  readonly #bucket: TokenBucket;
  readonly #perIp = new Map<string, number>();
  readonly #metrics: GatewayMetrics;
  readonly #tickets: AdmissionTickets;
  /** Aborted sockets the kernel may still hold, oldest first (one linger time for all). */
  #lingering: { ip: string; until: number }[] = [];
  #open = 0;
  #closed = false;

  constructor(options: AdmissionOptions, metrics: GatewayMetrics, now: number) {
    this.#o = options;
    this.#bucket = new TokenBucket(options.ratePerS, options.burst, now);
    this.#metrics = metrics;
    this.#tickets = new AdmissionTickets({
      secret: options.ticketSecret,
      ratePerS: options.ratePerS,
      windowMs: options.ticketWindowMs,
    });
  }

  /** Refuses every new connection while `closed` (the top degradation level, and draining). */
  setClosed(closed: boolean): void {
    this.#closed = closed;
  }

  /**
   * Admits or refuses a new connection from `ip`, cheapest checks first; `token` is the ticket
   * the client came back with, if any (one that does not verify counts as none).
   */
  check(ip: string, now: number, token?: string): AdmissionVerdict {
    this.#expire(now);
    // The ticket's HMAC is checked once, and only past the checks that cost a comparison.
    let held: Ticket | undefined;
    let verified = false;
    const holder = (): Ticket | undefined => {
      if (!verified && token) held = this.#tickets.verify(token, ip, now);
      verified = true;
      return held;
    };
    let reason: string | undefined;
    if (this.#closed) reason = 'closed';
    else if (this.#open >= this.#o.maxConnections) reason = 'max_connections';
    else if ((this.#perIp.get(ip) ?? 0) >= this.#o.maxPerIp) reason = 'max_per_ip';
    else if ((held = holder())) {
      // Its come-back time was its share of the rate: it gets in, and pays into debt if need be,
      // so that newcomers find no token while holders use the rate. Early, it gets in only on
      // capacity places nobody claimed left (phantom places must not hold it back).
      if (this.#tickets.due(held, now)) this.#bucket.charge(1, now);
      else if (!this.#spare(now) || !this.#bucket.take(now)) reason = 'early';
    } else if (this.#tickets.queued(now) && !this.#spare(now)) {
      // A queue is out and its holders are using the rate: newcomers go behind them.
      reason = 'queue';
    } else if (!this.#bucket.take(now)) reason = 'rate';
    if (reason === undefined) return { ok: true };
    this.#metrics.admissionRefused.inc({ reason });
    const base = this.#o.retryAfterS;
    const jittered = (): number => base + Math.floor(Math.random() * (base + 1));
    if (reason === 'max_per_ip') return { ok: false, reason, retryAfterS: jittered() };
    const full = reason === 'closed' || reason === 'max_connections';
    // Refused for the rate: the bucket is empty now, so the first free time is one gap away.
    const ticket = this.#issue(
      ip,
      now,
      holder(),
      full,
      reason === 'rate' ? 1000 / this.#o.ratePerS : 0,
    );
    if (!ticket) return { ok: false, reason, retryAfterS: jittered() };
    return {
      ok: false,
      reason,
      retryAfterS: Math.max(1, Math.ceil(ticket.retryAfterMs / 1000)),
      ticket,
    };
  }

  /**
   * A place in the queue for `ip` (`GET /v1/admission`, and every ticketed refusal): a valid
   * `token` keeps its holder's place; `full` (closed, or at the connection cap) holds everyone
   * back by the retry-after base. Undefined when the queue is `MAX_QUEUE_MS` long.
   */
  ticket(
    ip: string,
    now: number,
    token?: string,
    full = this.#closed,
    waitMs = 0,
  ): IssuedTicket | undefined {
    return this.#issue(
      ip,
      now,
      token ? this.#tickets.verify(token, ip, now) : undefined,
      full,
      waitMs,
    );
  }

  #issue(
    ip: string,
    now: number,
    held: Ticket | undefined,
    full: boolean,
    waitMs: number,
  ): IssuedTicket | undefined {
    const notBefore = now + (full ? this.#o.retryAfterS * 1000 : waitMs);
    return this.#tickets.issue(ip, now, held, notBefore);
  }

  /**
   * Half a burst of tokens saved up while a queue is out means places went unclaimed (old
   * clients, ticket collectors): that capacity goes to whoever is here.
   */
  #spare(now: number): boolean {
    return this.#bucket.tokens(now) >= Math.max(1, this.#o.burst / 2);
  }

  opened(ip: string): void {
    this.#open++;
    this.#perIp.set(ip, (this.#perIp.get(ip) ?? 0) + 1);
  }

  closedConnection(ip: string): void {
    this.#open--;
    this.#release(ip);
  }

  /**
   * A connection from `ip` is being aborted with unsent data: its address keeps the slot for
   * `lingerMs`, so a client cannot pin kernel memory by getting itself closed and reconnecting.
   */
  lingering(ip: string, now: number): void {
    if (this.#o.lingerMs <= 0) return;
    this.#perIp.set(ip, (this.#perIp.get(ip) ?? 0) + 1);
    this.#lingering.push({ ip, until: now + this.#o.lingerMs });
  }

  /** Sockets counted by `lingering` that are still within their linger time. */
  /** The base of the Retry-After of refusals without a ticket. */
  get retryAfterS(): number {
    return this.#o.retryAfterS;
  }

  get lingeringCount(): number {
    return this.#lingering.length;
  }

  #expire(now: number): void {
    let done = 0;
    for (const l of this.#lingering) {
      if (l.until > now) break;
      this.#release(l.ip);
      done++;
    }
    if (done > 0) this.#lingering = this.#lingering.slice(done);
  }

  #release(ip: string): void {
    const n = (this.#perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.#perIp.delete(ip);
    else this.#perIp.set(ip, n);
  }
}
