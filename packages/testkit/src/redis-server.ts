import { ManagedProcess, requireBinary } from './child-process.js';
import { freePort } from './ports.js';

/**
 * A real `redis-server` on a free loopback port, keeping nothing on disk. `stop()` and `start()`
 * keep the port (and lose the data, as a restarted cache would). Dispose with `await using`.
 */
export class RedisServer {
  readonly port: number;
  #process: ManagedProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<RedisServer> {
    requireBinary('redis-server', 'redis-server');
    for (let attempt = 0; ; attempt++) {
      const server = new RedisServer(await freePort());
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
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
    ]);
    await this.#process.waitForOutput(/Ready to accept connections/);
  }

  async stop(): Promise<void> {
    await this.#process?.stop('SIGTERM');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
