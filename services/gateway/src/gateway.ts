import { Subjects, type Bus } from '@roar/bus';
import type { Logger } from '@roar/runtime';
import type { Store } from '@roar/store';
import { Authenticator } from './auth.js';
import type { GatewayConfig } from './config.js';
import { ConnectionHandler, MAX_PAYLOAD_CUT_FACTOR } from './connection-handler.js';
import { devLogin } from './dev-login.js';
import { Fanout } from './fanout.js';
import { LoadControl } from './load-control.js';
import { OwnMessages } from './own-messages.js';
import { HistoryWriter } from './history-writer.js';
import { httpRoutes, notFound } from './http-routes.js';
import { MessageIds } from './message-ids.js';
import { GatewayMetrics } from './metrics.js';
import { Reporter } from './reporter.js';
import { StreamRegistry } from './stream-registry.js';
import { UwsTransport } from './transport-uws.js';
import { decideUpgrade } from './upgrade.js';

export interface GatewayDeps {
  config: GatewayConfig;
  bus: Bus;
  store: Store;
  log: Logger;
  /** The HS256 secret dev login signs with, when dev login is on. */
  devSecret?: string;
  /** Serves /metrics for every worker of the process (multi-core mode). */
  clusterMetrics?: () => Promise<{ text: string; contentType: string }>;
  now?: () => number;
}

/**
 * One gateway shard: WebSocket and HTTP on one port, local streams, per-tick fanout, reports to
 * the aggregator. It owns neither the bus nor the store; whoever started it closes those.
 */
export class Gateway {
  readonly config: GatewayConfig;
  readonly metrics: GatewayMetrics;
  readonly registry: StreamRegistry;
  readonly connections: ConnectionHandler;
  readonly load: LoadControl;
  readonly #transport: UwsTransport;
  readonly #fanout: Fanout;
  readonly #history: HistoryWriter;
  readonly #reporter: Reporter;
  readonly #deps: GatewayDeps;
  readonly #timers: NodeJS.Timeout[] = [];
  #port = 0;
  #draining = false;

  private constructor(deps: GatewayDeps) {
    const { config, bus, store, log } = deps;
    const now = deps.now ?? Date.now;
    this.#deps = deps;
    this.config = config;
    this.metrics = new GatewayMetrics({ gateway: config.gatewayId });
    const subjects = new Subjects(config.prefix);
    this.#transport = new UwsTransport({
      // The transport drops connections above this; frames between the two get a typed error.
      maxPayloadBytes: config.maxPayloadBytes * MAX_PAYLOAD_CUT_FACTOR,
      idleTimeoutS: config.idleTimeoutS,
      maxBackpressureBytes: config.maxBackpressureBytes,
      onError: (error, where) => log.error('handler failed', { where, error }),
    });
    const own = new OwnMessages();
    this.#fanout = new Fanout({
      publisher: this.#transport,
      metrics: this.metrics,
      own,
      countIntervalMs: config.countIntervalMs,
      chatBudgetPerS: config.chatBudgetPerS,
      stormTickMs: config.stormTickMs,
    });
    this.load = new LoadControl({
      config,
      metrics: this.metrics,
      log,
      fanout: this.#fanout,
      publisher: this.#transport,
      now,
    });
    this.#history = new HistoryWriter(store, this.metrics, log);
    this.registry = new StreamRegistry({
      bus,
      store,
      subjects,
      partitions: config.partitions,
      historyCapacity: config.historyCapacity,
      lingerMs: config.streamLingerMs,
      metrics: this.metrics,
      log,
      onPending: (state) => this.#fanout.markDirty(state),
      onForget: (state) => this.#fanout.forget(state),
    });
    this.#reporter = new Reporter({
      bus,
      subjects,
      gatewayId: config.gatewayId,
      partitions: config.partitions,
      reportIntervalMs: config.reportIntervalMs,
    });
    const devSecret = config.devLogin ? (config.jwtSecret ?? deps.devSecret) : undefined;
    const auth = new Authenticator({ ...config, jwtSecret: config.jwtSecret ?? devSecret });
    this.connections = new ConnectionHandler({
      config,
      auth,
      admission: this.load.admission,
      slow: this.load.slow,
      own,
      registry: this.registry,
      history: this.#history,
      bus,
      subjects,
      metrics: this.metrics,
      ids: new MessageIds(),
      log,
      now,
    });

    this.#transport.websocket('/ws', {
      upgrade: (req) => decideUpgrade(req, config, this.metrics, this.load.admission, now()),
      open: (ws) => this.connections.open(ws),
      message: (ws, data) => this.connections.message(ws, data),
      close: (ws) => this.connections.close(ws),
      drain: (ws) => this.load.slow.drained(ws),
      dropped: (ws) => this.load.slow.close(ws),
    });
    this.load.attach(this.connections);
    for (const route of httpRoutes({
      registry: this.registry,
      store,
      metrics: this.metrics,
      config,
      now,
      ready: () => !this.#draining && bus.connected && this.#port > 0,
      ...(deps.clusterMetrics ? { clusterMetrics: deps.clusterMetrics } : {}),
    })) {
      this.#transport.route(route);
    }
    if (devSecret) {
      this.#transport.route({
        method: 'post',
        pattern: '/dev/token',
        handler: devLogin(devSecret),
        maxBodyBytes: 4096,
      });
    }
    this.#transport.route(notFound);

    this.metrics.busConnected.set(bus.connected ? 1 : 0);
    bus.onStatus((status) => {
      this.metrics.busConnected.set(status.type === 'reconnected' ? 1 : 0);
      log.info('bus status', { status: status.type });
    });

    this.#every(config.tickMs, () => {
      this.#fanout.flush(now());
      this.#history.flush();
    });
    this.#every(config.reportIntervalMs, () => {
      const t = now();
      this.#reporter.reportCounts(this.registry.values(), t);
      this.registry.sweep(t);
      this.metrics.streams.set(this.registry.size);
    });
    this.#every(config.reactionWindowMs, () =>
      this.#reporter.reportReactions(this.registry.values()),
    );
    this.#every(250, () => this.load.sweepSlowClients());
    this.#every(500, () => this.load.samplePressure());
    this.#every(10_000, () => {
      const t = now();
      this.connections.chatLimiter.sweep(t);
      this.connections.reactionLimiter.sweep(t);
      own.sweep(t, 10_000);
    });
  }

  /** Builds a gateway and starts listening; resolves once the port is open. */
  static async start(deps: GatewayDeps): Promise<Gateway> {
    const gateway = new Gateway(deps);
    gateway.#port = await gateway.#transport.listen(deps.config.host, deps.config.port);
    deps.log.info('gateway listening', {
      gateway: deps.config.gatewayId,
      host: deps.config.host,
      port: gateway.#port,
      mode: deps.config.mode,
    });
    return gateway;
  }

  get port(): number {
    return this.#port;
  }

  /**
   * Graceful drain: stops admitting, closes every client with "reconnect" spread over the drain
   * window (no herd on the other gateways), reports zero viewers so the total drops at once
   * rather than at expiry, and writes pending history.
   */
  async stop(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    this.load.startDraining();
    this.#transport.stopListening();
    await this.connections.drain(this.config.drainWindowMs);
    for (const t of this.#timers) clearInterval(t);
    this.load.stop();
    this.#fanout.flush(Number.MAX_SAFE_INTEGER);
    this.#reporter.reportCounts(this.registry.values(), Date.now(), true);
    await this.#history.drain();
    this.registry.close();
    await this.#deps.bus.flush().catch(() => undefined);
    this.#transport.close();
  }

  #every(ms: number, fn: () => void): void {
    this.#timers.push(
      setInterval(() => {
        try {
          fn();
        } catch (error) {
          this.#deps.log.error('timer task failed', { error });
        }
      }, ms),
    );
  }
}
