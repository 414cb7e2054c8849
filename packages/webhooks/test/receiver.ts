import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogEvent } from '@roar/log';
import { SIGNATURE_HEADER, verifySignature } from '../src/signature.js';

export type ReceiverMode = 'ok' | 'fail' | 'hang';

/**
 * The app's webhook endpoint in tests: verifies every delivery's signature (a bad one is answered
 * 401 and counted), can fail (HTTP 500) or hang (never answers: the sender times out), and keeps
 * what it accepted.
 */
export class Receiver implements AsyncDisposable {
  mode: ReceiverMode = 'ok';
  /** An accepted delivery is recorded on arrival and answered this much later. */
  delayMs = 0;
  /** Requests with a valid signature that were answered 2xx, in arrival order. */
  readonly accepted: LogEvent[][] = [];
  readonly badSignatures: string[] = [];
  requests = 0;
  readonly #server: Server;
  readonly #secret: string;

  private constructor(secret: string) {
    this.#secret = secret;
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const body = Buffer.concat(chunks).toString('utf8');
        const header = req.headers[SIGNATURE_HEADER] as string | undefined;
        const check = verifySignature(this.#secret, header, body, Math.floor(Date.now() / 1000));
        if (!check.ok) {
          this.badSignatures.push(check.reason);
          res.writeHead(401).end();
          return;
        }
        if (this.mode === 'hang') return;
        if (this.mode === 'fail') {
          res.writeHead(500).end();
          return;
        }
        this.accepted.push((JSON.parse(body) as { events: LogEvent[] }).events);
        if (this.delayMs === 0) res.writeHead(204).end();
        else setTimeout(() => res.writeHead(204).end(), this.delayMs).unref();
      });
    });
  }

  static async start(secret: string): Promise<Receiver> {
    const r = new Receiver(secret);
    await new Promise<void>((resolve) => r.#server.listen(0, '127.0.0.1', resolve));
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hook`;
  }

  /** Every event accepted, in arrival order (repeats included). */
  get events(): LogEvent[] {
    return this.accepted.flat();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
