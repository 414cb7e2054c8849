import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, requireBinary } from './child-process.js';
import { freePort } from './ports.js';

export interface RedisServerOptions {
  /**
   * Keep an append-only file, fsynced on every write, in a temporary directory: `stop()`,
   * `kill()` and `start()` then keep the data, as a persistent production Redis does.
   */
  persist?: boolean;
}

/**
 * A real `redis-server` on a free loopback port, keeping nothing on disk unless `persist`.
 * `stop()` and `start()` keep the port (and lose the data, as a restarted cache would). Dispose
 * with `await using`.
 */
export class RedisServer {
  readonly port: number;
  #process: ManagedProcess | undefined;
  readonly #dir: string | undefined;

  private constructor(port: number, options: RedisServerOptions) {
    this.port = port;
    this.#dir = options.persist ? mkdtempSync(join(tmpdir(), 'roar-redis-')) : undefined;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    requireBinary('redis-server', 'redis-server');
    for (let attempt = 0; ; attempt++) {
      const server = new RedisServer(await freePort(), options);
      try {
        await server.start();
        return server;
      } catch (error) {
        // Another process may have taken the port between freePort() and the bind.
        if (attempt >= 3) throw error;
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#process?.running ?? false;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.#process = new ManagedProcess('redis-server', [
      '--bind',
      '127.0.0.1',
      '--port',
      String(this.port),
      '--save',
      '',
      ...(this.#dir
        ? ['--dir', this.#dir, '--appendonly', 'yes', '--appendfsync', 'always']
        : ['--appendonly', 'no']),
      '--protected-mode',
      'yes',
    ]);
    await this.#process.waitForOutput(/Ready to accept connections/);
  }

  async stop(): Promise<void> {
    await this.#process?.stop('SIGTERM');
  }

  /** SIGKILL, like a crashed host: nothing is flushed (with `persist`, nothing was pending). */
  async kill(): Promise<void> {
    await this.#process?.stop('SIGKILL');
  }

  /** SIGSTOP: connections stay open and nothing answers, like a stalled host, until `resume()`. */
  pause(): void {
    if (this.running) this.#process?.child.kill('SIGSTOP');
  }

  resume(): void {
    if (this.running) this.#process?.child.kill('SIGCONT');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.resume();
    await this.stop();
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }
}
