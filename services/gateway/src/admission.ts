import type { GatewayMetrics } from './metrics.js';
import { TokenBucket } from './token-bucket.js';

export interface AdmissionOptions {
  /** New connections per second (token bucket rate). */
  ratePerS: number;
  burst: number;
  maxConnections: number;
  maxPerIp: number;
  /** Base of the Retry-After given to refused clients; the actual value is jittered up to 2×. */
  retryAfterS: number;
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
  #open = 0;
  /** Set at the top degradation level and while draining. */
  closed = false;

  constructor(options: AdmissionOptions, metrics: GatewayMetrics, now: number) {
    this.#o = options;
    this.#bucket = new TokenBucket(options.ratePerS, options.burst, now);
    this.#metrics = metrics;
  }

  check(ip: string, now: number): AdmissionVerdict {
    let reason: string | undefined;
    if (this.closed) reason = 'closed';
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
    const n = (this.#perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.#perIp.delete(ip);
    else this.#perIp.set(ip, n);
  }
}
