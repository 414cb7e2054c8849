import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/**
 * Throws an error that says how to install `binary` when it is not on PATH. Tests that need a
 * real broker fail with this message rather than with a spawn ENOENT.
 */
export function requireBinary(binary: string, debianPackage: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(
      `${binary} is not on PATH. Install it (Debian/Ubuntu: \`sudo apt-get install ${debianPackage}\`), then run the tests again.`,
    );
  }
}

/** A child process whose output is kept for error messages, and which is killed when disposed. */
export class ManagedProcess {
  readonly child: ChildProcess;
  #output = '';
  readonly exited: Promise<number | null>;

  constructor(command: string, args: readonly string[], env?: NodeJS.ProcessEnv) {
    this.child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: env ?? process.env,
    });
    const keep = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-20_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when `pattern` appears in the output; rejects if the process exits first. */
  async waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.#output.match(pattern);
      if (match) return match;
      if (!this.running)
        throw new Error(`process exited before printing ${pattern}:\n${this.#output}`);
      if (Date.now() > deadline)
        throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.#output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
