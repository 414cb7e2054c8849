import { Subjects } from '@roar/bus';
import { AnonymousIds, anonIdSecret } from './base/anonymous.js';
import { Authenticator } from './base/auth.js';
import { ClientAddresses } from './base/client-address.js';
import { ConnectionHandler } from './connection/connection-handler.js';
import { MAX_PAYLOAD_CUT_FACTOR } from './connection/frame-check.js';
import { devLoginSecret } from './base/dev-login.js';
import { devTokenRoute, mountEndpoints } from './endpoints.js';
import { Fanout } from './streams/fanout.js';
import { LoadControl, admissionFor, slowClientsFor } from './load/load-control.js';
import { OwnMessages } from './streams/own-messages.js';
import { HistoryWriter } from './streams/history-writer.js';
import { PUBLIC, fallbackRoutes, httpRoutes } from './http-routes.js';
import { staticFiles } from './transport/static-files.js';
import { MessageIds } from './base/message-ids.js';
import { Holds } from './moderation/holds.js';
import { Moderation } from './moderation/index.js';
import { Scheduled } from './scheduled/index.js';
import { defaultSettings } from './moderation/rules/settings.js';
import { GatewayMetrics } from './base/metrics.js';
import { BackendHooks } from './hooks/index.js';
import { IdentityWriter } from './counts/identity-writer.js';
import { Reporter } from './counts/reporter.js';
import { StreamRegistry } from './streams/stream-registry.js';
import { SseHub } from './transport/sse.js';
import { StallWatch } from './base/stall-watch.js';
import { bothTransports } from './transport/publisher.js';
import type { HttpHandler } from './base/http.js';
import { UwsTransport } from './transport/uws.js';
import { startTracing, type Tracing } from './base/tracing.js';
import { STALLS, scheduleWork, watchConnections } from './schedule.js';
import { Beat } from './base/beat.js';
import { warnInsecure } from './warnings.js';
import type { GatewayDeps } from './gateway-deps.js';
import type { GatewayConfig } from './base/config.js';
import { Replay } from './replay/index.js';

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
  readonly moderation: Moderation;
  readonly scheduled: Scheduled;
  readonly #transport: UwsTransport;
  readonly #fanout: Fanout;
  readonly #sse: SseHub;
  readonly #history: HistoryWriter;
  readonly #stalls: StallWatch;
  readonly #reporter: Reporter;
  readonly #identities: IdentityWriter;
  readonly #deps: GatewayDeps;
  readonly #beat: Beat;
  readonly #tracing: Tracing | undefined;
  #port = 0;
  #draining = false;

  private constructor(deps: GatewayDeps & { files: HttpHandler; tracing: Tracing | undefined }) {
    const { config, bus, store, log, tracing } = deps;
    this.#tracing = tracing;
    const now = deps.now ?? Date.now;
    this.#stalls = new StallWatch(STALLS, now());
    this.#deps = deps;
    const beat = (this.#beat = deps.beat ?? new Beat(log));
    this.config = config;
    this.metrics = new GatewayMetrics({ gateway: config.gatewayId }, beat.delays());
    const subjects = new Subjects(config.prefix);
    const addresses = new ClientAddresses(config.trustedProxies);
    this.#transport = new UwsTransport({
      // The transport drops connections above this; frames between the two get a typed error.
      maxPayloadBytes: config.maxPayloadBytes * MAX_PAYLOAD_CUT_FACTOR,
      idleTimeoutS: config.idleTimeoutS,
      maxBackpressureBytes: config.maxBackpressureBytes,
      clientAddress: (peer, forwardedFor) => addresses.resolve(peer, forwardedFor),
      onError: (error, where) => log.error('handler failed', { where, error }),
    });
    const own = new OwnMessages();
    this.#sse = new SseHub();
    this.#fanout = new Fanout({
      publisher: bothTransports(this.#transport, this.#sse),
      metrics: this.metrics,
      own,
      stream: (id) => this.registry.get(id),
      tickMs: config.tickMs,
      now,
      // Level 0: counts go out as the aggregator sends them (it spaces them; see LoadControl).
      countIntervalMs: 0,
      chatBudgetPerS: config.chatBudgetPerS,
      stormTickMs: config.stormTickMs,
      sliceSockets: config.fanoutSliceSockets,
      tracing,
      onNews: beat.wake,
      onDeliver: () => this.#history.flush(),
    });
    const retry = { retryLimit: config.historyRetry, onAdd: beat.wake };
    this.#history = new HistoryWriter({ store, metrics: this.metrics, log, ...retry });
    const ids = new MessageIds();
    const defaults = defaultSettings(config.reactions);
    const devSecret = devLoginSecret(config, deps.devSecret);
    const anonymous = new AnonymousIds({
      secret: anonIdSecret(config).secret,
      perAddress: config.anonIdsPerIp,
    });
    const { jwtPublicKey, jwtJwksUrl, jwtIssuer, jwtAudience, jwtMaxLifetimeS } = config;
    const auth = new Authenticator({
      ...{ jwtPublicKey, jwtJwksUrl, jwtIssuer, jwtAudience, jwtMaxLifetimeS },
      jwtSecret: config.jwtSecret ?? devSecret,
    });
    const hooks = new BackendHooks(config.hooks, this.metrics.registry, now);
    const replay = Replay.open({ ...deps, registry: this.metrics.registry, now }, hooks, auth);
    const holds = new Holds(store, bus, subjects, this.#history, log, replay?.streamLog);
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
      defaults,
      onDelete: (id) => holds.cancel(id),
      now,
      // Built with the connection layer, after moderation (which needs this registry).
      features: () => this.connections.features,
      onKept: (state, event) => own.deliverAlone(state.id, event),
      own,
    });
    this.#reporter = new Reporter({
      bus,
      subjects,
      gatewayId: config.gatewayId,
      partitions: config.partitions,
      reportIntervalMs: config.reportIntervalMs,
      uniquesInReports: config.uniquesInReports,
    });
    this.#identities = new IdentityWriter(store, this.metrics, config.uniquesInReports);
    this.moderation = new Moderation({
      config,
      store,
      bus,
      subjects,
      registry: this.registry,
      holds,
      ids,
      auth,
      log,
      metrics: this.metrics,
      now,
      defaults,
      onPending: (state) => this.#fanout.markDirty(state),
      // Control events arrive once the gateway runs, when load control exists.
      onLevel: (level) => this.load.ladder.pin(level ?? undefined),
      level: () => ({ level: this.load.ladder.level, pinned: this.load.ladder.pinned ?? null }),
      tracing,
      eventLog: replay?.streamLog,
    });
    const base = { config, store, bus, subjects, log, now, tracing, metrics: this.metrics };
    this.scheduled = new Scheduled(base, this.registry, this.moderation.service, auth);
    const admission = admissionFor(config, this.metrics, now());
    const slow = slowClientsFor(config, this.metrics, this.#fanout, admission, now);
    this.connections = new ConnectionHandler({
      config,
      auth,
      admission,
      slow,
      fanout: this.#fanout,
      own,
      registry: this.registry,
      history: this.#history,
      bus,
      subjects,
      metrics: this.metrics,
      ids,
      log,
      now,
      moderation: this.moderation.service,
      holds,
      globalBans: this.moderation.globalBans,
      hooks,
      stalls: this.#stalls,
      tracing,
      reporter: this.#reporter,
      chatLog: replay?.streamLog,
      store,
    });
    this.load = new LoadControl({
      config,
      metrics: this.metrics,
      log,
      fanout: this.#fanout,
      connections: this.connections,
      admission,
      slow,
      loopDelay: beat.delays(),
      now,
    });
    const routes = httpRoutes({
      registry: this.registry,
      store,
      metrics: this.metrics,
      config,
      now,
      // Not before global bans are loaded: a viewer sent here early could chat past a ban.
      ready: () => !this.#draining && bus.connected && this.#port > 0 && this.moderation.ready,
      ...(deps.clusterMetrics ? { clusterMetrics: deps.clusterMetrics } : {}),
    });
    mountEndpoints({
      config,
      transport: this.#transport,
      sse: this.#sse,
      connections: this.connections,
      load: this.load,
      metrics: this.metrics,
      anonymous,
      now,
      routes: [
        ...routes,
        ...(devSecret ? [devTokenRoute(devSecret, config)] : []),
        ...this.scheduled.routes,
        ...this.moderation.adminRoutes(this.connections.features),
        ...(replay?.routes ?? []),
        ...fallbackRoutes(deps.files),
      ],
    });

    watchConnections(bus, store, this.metrics, log);
    scheduleWork(beat, {
      ...base,
      fanout: this.#fanout,
      history: this.#history,
      identities: this.#identities,
      reporter: this.#reporter,
      registry: this.registry,
      stalls: this.#stalls,
      load: this.load,
      connections: this.connections,
      own,
    });
  }

  /** Builds a gateway and starts listening; resolves once the port is open. */
  static async start(deps: GatewayDeps): Promise<Gateway> {
    const gateway = new Gateway({
      ...deps,
      files: await staticFiles(PUBLIC),
      tracing: await startTracing(deps.config),
    });
    gateway.#port = await gateway.#transport.listen(deps.config.host, deps.config.port);
    deps.log.info('gateway listening', {
      gateway: deps.config.gatewayId,
      host: deps.config.host,
      port: gateway.#port,
      mode: deps.config.mode,
    });
    warnInsecure(deps.config, deps.log);
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
    this.#beat.stop();
    this.moderation.stop();
    this.scheduled.stop();
    this.#sse.close();
    this.#fanout.flush(Number.MAX_SAFE_INTEGER);
    this.#fanout.drainAll();
    this.#identities.flush(this.registry.values());
    this.#reporter.reportCounts(this.registry.values(), Date.now(), true);
    await Promise.all([this.#history.drain(), this.#identities.settled(2000)]);
    this.registry.close();
    await this.#deps.bus.flush().catch(() => undefined);
    this.#transport.close();
    await this.#tracing?.shutdown().catch((error: unknown) => {
      this.#deps.log.warn('trace export failed at shutdown', { error });
    });
  }
}
