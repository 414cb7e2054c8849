import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, requireBinary } from './child-process.js';
import { freePort } from './ports.js';

export interface NatsServerOptions {
  /** Enable JetStream (with a temporary store directory). */
  jetstream?: boolean;
}

/**
 * A real `nats-server` on a free loopback port, for one test file. `stop()` and `start()` keep the
 * port, so clients can be tested across a broker restart. Dispose with `await using`.
 */
export class NatsServer {
  readonly port: number;
  readonly #options: NatsServerOptions;
  #process: ManagedProcess | undefined;
  #storeDir: string | undefined;

  private constructor(port: number, options: NatsServerOptions) {
    this.port = port;
    this.#options = options;
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    requireBinary('nats-server', 'nats-server');
    const server = new NatsServer(await freePort(), options);
    await server.start();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#process?.running ?? false;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const args = ['-a', '127.0.0.1', '-p', String(this.port)];
    if (this.#options.jetstream) {
      this.#storeDir ??= await mkdtemp(join(tmpdir(), 'roar-nats-'));
      args.push('-js', '-sd', this.#storeDir);
    }
    this.#process = new ManagedProcess('nats-server', args);
    await this.#process.waitForOutput(/Server is ready/);
  }

  async stop(): Promise<void> {
    await this.#process?.stop('SIGTERM');
  }

  /** Empties the JetStream store (while stopped): the next `start()` comes back empty. */
  async wipeStore(): Promise<void> {
    if (this.running) throw new Error('stop the server before wiping its store');
    if (this.#storeDir) await rm(this.#storeDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    if (this.#storeDir) await rm(this.#storeDir, { recursive: true, force: true });
  }
}
