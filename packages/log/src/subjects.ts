import type { LogEventType } from './events.js';

/**
 * The log's JetStream names, built from one prefix so tests and tenants never collide:
 *
 * - `<prefix>.log.<stream>.<type>`  one event, e.g. `roar.log.final-2026.chat.published`
 * - `<prefix>.log.<stream>.>`       everything about one stream
 * - `<prefix>.log.>`                the whole log (the JetStream stream's subjects)
 * - stream name `<PREFIX>_LOG`      (dots become `_`: JetStream names cannot hold them)
 *
 * Apps that export the log subscribe with their own durable consumers on these subjects, e.g.
 * `roar.log.*.chat.>` for chat only.
 */
export class LogSubjects {
  readonly prefix: string;

  constructor(prefix = 'roar') {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) {
      throw new Error(`invalid subject prefix "${prefix}"`);
    }
    this.prefix = prefix;
  }

  event(stream: string, type: LogEventType): string {
    return `${this.prefix}.log.${stream}.${type}`;
  }

  stream(stream: string): string {
    return `${this.prefix}.log.${stream}.>`;
  }

  all(): string {
    return `${this.prefix}.log.>`;
  }

  /** The JetStream stream that holds the log. */
  streamName(): string {
    return `${this.prefix.replaceAll('.', '_').toUpperCase()}_LOG`;
  }
}

/** The subject filter for a query: one stream, one type, both or neither. */
export function filterSubject(subjects: LogSubjects, stream?: string, type?: LogEventType): string {
  if (stream !== undefined) return type ? subjects.event(stream, type) : subjects.stream(stream);
  return type ? `${subjects.prefix}.log.*.${type}` : subjects.all();
}
