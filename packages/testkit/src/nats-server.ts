import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, requireBinary } from './child-process.js';
import { freePort } from './ports.js';

export interface NatsServerOptions {
  /** Enable JetStream (with a temporary store directory). */
  jetstream?: boolean;
  /** Serve the HTTP monitoring endpoints (`/connz`, `/varz`...) on a free port: `monitorUrl`. */
  monitor?: boolean;
}

/**
 * A real `nats-server` on a free loopback port, for one test file. `stop()` and `start()` keep the
 * port, so clients can be tested across a broker restart. Dispose with `await using`.
 */
export class NatsServer {
  readonly port: number;
  /** The monitoring port when started with `monitor`, else undefined. */
  readonly monitorPort: number | undefined;
  readonly #options: NatsServerOptions;
  #process: ManagedProcess | undefined;
  #storeDir: string | undefined;

  private constructor(port: number, monitorPort: number | undefined, options: NatsServerOptions) {
    this.port = port;
    this.monitorPort = monitorPort;
    this.#options = options;
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    requireBinary('nats-server', 'nats-server');
    const monitorPort = options.monitor ? await freePort() : undefined;
    const server = new NatsServer(await freePort(), monitorPort, options);
    await server.start();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** A monitoring endpoint's URL, e.g. `monitorUrl('connz')`; needs the `monitor` option. */
  monitorUrl(endpoint: string): string {
    if (this.monitorPort === undefined) throw new Error('nats-server was started without monitor');
    return `http://127.0.0.1:${this.monitorPort}/${endpoint}`;
  }

  get running(): boolean {
    return this.#process?.running ?? false;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const args = ['-a', '127.0.0.1', '-p', String(this.port)];
    if (this.monitorPort !== undefined) args.push('-m', String(this.monitorPort));
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
