export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

/** One JSON object per line on stdout (stderr for errors): what log pipelines ingest. */
export class Logger {
  readonly #min: number;
  readonly #base: LogFields;

  constructor(level: LogLevel = 'info', base: LogFields = {}) {
    this.#min = ORDER[level];
    this.#base = base;
  }

  child(fields: LogFields): Logger {
    return new Logger(levelOf(this.#min), { ...this.#base, ...fields });
  }

  debug(msg: string, fields?: LogFields): void {
    this.#write('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#write('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#write('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#write('error', msg, fields);
  }

  #write(level: LogLevel, msg: string, fields?: LogFields): void {
    if (ORDER[level] < this.#min) return;
    const record: LogFields = { t: new Date().toISOString(), level, msg, ...this.#base, ...fields };
    for (const [k, v] of Object.entries(record)) {
      if (v instanceof Error)
        record[k] = { name: v.name, message: v.message, code: (v as { code?: unknown }).code };
    }
    const line = `${JSON.stringify(record)}\n`;
    if (ORDER[level] >= ORDER.error) process.stderr.write(line);
    else process.stdout.write(line);
  }
}

function levelOf(n: number): LogLevel {
  return (Object.keys(ORDER) as LogLevel[]).find((l) => ORDER[l] === n) ?? 'info';
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger = new Logger('error', {});
