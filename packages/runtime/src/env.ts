/** A configuration value is missing or malformed; the message names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads typed values from environment variables. Each getter takes the variable name and a
 * default; a value that is present but malformed throws a `ConfigError` naming the variable, so a
 * bad deployment stops at start instead of misbehaving later. Names read are recorded, and
 * `rejectUnknown` refuses `ROAR_*` variables nobody reads (a typo is an error, not a default).
 */
export class EnvReader {
  readonly #env: Env;
  readonly #read = new Set<string>();

  constructor(env: Env = process.env) {
    this.#env = env;
  }

  #raw(name: string): string | undefined {
    this.#read.add(name);
    const v = this.#env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string, pattern?: RegExp): string {
    const v = this.#raw(name) ?? fallback;
    if (pattern && !pattern.test(v))
      throw new ConfigError(`${name} must match ${pattern} (got "${v}")`);
    return v;
  }

  optionalString(name: string): string | undefined {
    return this.#raw(name);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
    }
    return v;
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min || v > max) {
      throw new ConfigError(`${name} must be a number from ${min} to ${max} (got "${raw}")`);
    }
    return v;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.#raw(name);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${name} must be true or false (got "${raw}")`);
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.#raw(name) ?? fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
    }
    return raw as T;
  }

  list(name: string, fallback: readonly string[]): string[] {
    const raw = this.#raw(name);
    if (raw === undefined) return [...fallback];
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }

  /** Throws for any variable starting with `prefix` that no getter asked for. */
  rejectUnknown(prefix: string, alsoAllowed: readonly string[] = []): void {
    const unknown = Object.keys(this.#env).filter(
      (k) => k.startsWith(prefix) && !this.#read.has(k) && !alsoAllowed.includes(k),
    );
    if (unknown.length > 0) {
      throw new ConfigError(`unknown configuration variable(s): ${unknown.sort().join(', ')}`);
    }
  }
}
