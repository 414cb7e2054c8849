import type { Logger } from '@roar/runtime';
import { startAdminServer, type AdminServer } from './admin-http.js';
import { DeadLetters, type DeadLetterJournal } from './dead-letters.js';
import { Dispatcher, type DispatchOptions } from './dispatcher.js';
import type { WebhookEndpoint } from './endpoints.js';
import type { EventFeed } from './feed.js';
import { WebhookMetrics } from './metrics.js';
import { readiness } from './readiness.js';
import type { ApiKey } from '@roar/runtime';

export interface WebhookServiceOptions {
  endpoints: readonly WebhookEndpoint[];
  /** The feed of one endpoint: a durable JetStream consumer, or the memory log's cursor. */
  feed: (endpoint: WebhookEndpoint) => EventFeed;
  dispatch: DispatchOptions;
  deadLetterMax: number;
  /** Where dead letters are kept across restarts (the webhook process: JetStream). */
  deadLetterJournal: DeadLetterJournal;
  /**
   * Whether the process's NATS connection is up now, for `/readyz`; absent when it has none of
   * its own (embedded mode reads its memory log).
   */
  natsConnected?: () => boolean;
  host: string;
  port: number;
  adminApiKeys: readonly ApiKey[];
  log: Logger;
}

/** Every endpoint's dispatcher, the dead letters and the HTTP side, started and stopped together. */
export class WebhookService {
  readonly #admin: AdminServer;

  private constructor(
    admin: AdminServer,
    readonly dispatchers: Dispatcher[],
    readonly deadLetters: DeadLetters,
    readonly metrics: WebhookMetrics,
  ) {
    this.#admin = admin;
  }

  static async start(o: WebhookServiceOptions): Promise<WebhookService> {
    const metrics = new WebhookMetrics();
    const deadLetters = await DeadLetters.open(o.deadLetterMax, o.deadLetterJournal);
    const feeds = o.endpoints.map((endpoint) => ({ endpoint, feed: o.feed(endpoint) }));
    const dispatchers = feeds.map(
      ({ endpoint, feed }) =>
        new Dispatcher({
          endpoint,
          feed,
          options: o.dispatch,
          deadLetters,
          metrics,
          log: o.log,
        }),
    );
    const admin = await startAdminServer({
      host: o.host,
      port: o.port,
      keys: o.adminApiKeys,
      dispatchers,
      deadLetters,
      metrics,
      readiness: () =>
        readiness({
          nats: o.natsConnected?.() ?? true,
          deadLetters: o.deadLetterJournal,
          feeds: feeds.map(({ endpoint, feed }) => ({ endpoint: endpoint.id, feed })),
        }),
      onError: (error) => o.log.error('admin request failed', { error }),
    });
    for (const d of dispatchers) d.start();
    return new WebhookService(admin, dispatchers, deadLetters, metrics);
  }

  get port(): number {
    return this.#admin.port;
  }

  /** Stops every dispatcher after its batch in hand (unacknowledged: delivered again later). */
  async stop(): Promise<void> {
    await Promise.all(this.dispatchers.map((d) => d.stop()));
    await this.#admin.close();
  }
}
