import type { GatewayMetrics } from '../base/metrics.js';
import { TokenBucket } from '../base/token-bucket.js';

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
}

export type AdmissionVerdict = { ok: true } | { ok: false; reason: string; retryAfterS: number };

/**
 * Admission control, decided before any per-connection work: a connection storm (the toss, a
 * deploy) is refused with 503 and a jittered Retry-After rather than allowed to stall the event
 * loop for everyone already watching.
 */
export class Admission {
  readonly #o: AdmissionOptions;
  readonly #bucket: TokenBucket;
  readonly #perIp = new Map<string, number>();
  readonly #metrics: GatewayMetrics;
  /** Aborted sockets the kernel may still hold, oldest first (one linger time for all). */
  #lingering: { ip: string; until: number }[] = [];
  #open = 0;
  #closed = false;

  constructor(options: AdmissionOptions, metrics: GatewayMetrics, now: number) {
    this.#o = options;
    this.#bucket = new TokenBucket(options.ratePerS, options.burst, now);
    this.#metrics = metrics;
  }

  /** Refuses every new connection while `closed` (the top degradation level, and draining). */
  setClosed(closed: boolean): void {
    this.#closed = closed;
  }

  check(ip: string, now: number): AdmissionVerdict {
    this.#expire(now);
    let reason: string | undefined;
    if (this.#closed) reason = 'closed';
    else if (this.#open >= this.#o.maxConnections) reason = 'max_connections';
    else if ((this.#perIp.get(ip) ?? 0) >= this.#o.maxPerIp) reason = 'max_per_ip';
    else if (!this.#bucket.take(now)) reason = 'rate';
    if (reason === undefined) return { ok: true };
    this.#metrics.admissionRefused.inc({ reason });
    const base = this.#o.retryAfterS;
    return { ok: false, reason, retryAfterS: base + Math.floor(Math.random() * (base + 1)) };
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
