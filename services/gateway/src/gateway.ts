import { Subjects, type Bus } from '@roar/bus';
import { TOTALS_STALE_INTERVALS } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import type { Store } from '@roar/store';
import { AnonymousIds, anonIdSecret } from './base/anonymous.js';
import { Authenticator } from './base/auth.js';
import { ClientAddresses } from './base/client-address.js';
import { isLoopbackHost, type GatewayConfig } from './base/config.js';
import { ConnectionHandler, MAX_PAYLOAD_CUT_FACTOR } from './connection/connection-handler.js';
import { devLogin } from './base/dev-login.js';
import { Fanout } from './streams/fanout.js';
import { LoadControl } from './load/load-control.js';
import { OwnMessages } from './streams/own-messages.js';
import { HistoryWriter } from './streams/history-writer.js';
import { PUBLIC, fallbackRoutes, httpRoutes } from './http-routes.js';
import { fromAllowedOrigins } from './base/origins.js';
import { staticFiles } from './transport/static-files.js';
import { MessageIds } from './base/message-ids.js';
import { Moderation } from './moderation/index.js';
import { defaultSettings } from './moderation/rules/settings.js';
import { GatewayMetrics } from './base/metrics.js';
import { IdentityWriter } from './counts/identity-writer.js';
import { Reporter } from './counts/reporter.js';
import { StreamRegistry } from './streams/stream-registry.js';
import { SseHub } from './transport/sse.js';
import { StallWatch } from './base/stall-watch.js';
import type { Publisher } from './transport/socket.js';
import type { HttpHandler } from './base/http.js';
import type { UpgradeRequest, UpgradeResult } from './transport/transport.js';
import { UwsTransport } from './transport/uws.js';
import { decideUpgrade } from './connection/upgrade.js';
import { startTracing, type Tracing } from './base/tracing.js';

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

/** The stall watch's beat, and how late a beat must be to count as a stall. */
const STALL_BEAT_MS = 100;
const STALL_THRESHOLD_MS = 1000;
/** A stall's backlog is forgiven by the chat rate limit this long after it ends. */
const STALL_GRACE_MS = 2000;
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
  readonly #transport: UwsTransport;
  readonly #fanout: Fanout;
  readonly #sse: SseHub;
  readonly #history: HistoryWriter;
  readonly #stalls: StallWatch;
  readonly #reporter: Reporter;
  readonly #identities: IdentityWriter;
  readonly #deps: GatewayDeps;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #tracing: Tracing | undefined;
  #port = 0;
  #draining = false;

  private constructor(deps: GatewayDeps & { files: HttpHandler; tracing: Tracing | undefined }) {
    const { config, bus, store, log, tracing } = deps;
    this.#tracing = tracing;
    const now = deps.now ?? Date.now;
    this.#stalls = new StallWatch(
      { thresholdMs: STALL_THRESHOLD_MS, graceMs: STALL_GRACE_MS },
      now(),
    );
    this.#deps = deps;
    this.config = config;
    this.metrics = new GatewayMetrics({ gateway: config.gatewayId });
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
    const transport = this.#transport;
    const sse = this.#sse;
    // Fanout reaches WebSocket viewers through uWS topics and fallback viewers through the hub.
    const publisher: Publisher = {
      publish: (topic, frame, isBinary) => {
        transport.publish(topic, frame, isBinary);
        if (!isBinary) sse.publish(topic, frame);
      },
      subscribers: (topic) => transport.subscribers(topic) + sse.subscribers(topic),
    };
    this.#fanout = new Fanout({
      publisher,
      metrics: this.metrics,
      own,
      stream: (id) => this.registry.get(id),
      // Level 0: counts go out as the aggregator sends them (it spaces them; see LoadControl).
      countIntervalMs: 0,
      chatBudgetPerS: config.chatBudgetPerS,
      stormTickMs: config.stormTickMs,
      sliceSockets: config.fanoutSliceSockets,
      tracing,
    });
    this.load = new LoadControl({
      config,
      metrics: this.metrics,
      log,
      fanout: this.#fanout,
      now,
    });
    this.#history = new HistoryWriter({
      store,
      metrics: this.metrics,
      log,
      retryLimit: config.historyRetry,
    });
    const ids = new MessageIds();
    const defaults = defaultSettings(config.reactions);
    const devSecret = config.devLogin ? (config.jwtSecret ?? deps.devSecret) : undefined;
    const anonymous = new AnonymousIds({
      secret: anonIdSecret(config).secret,
      perAddress: config.anonIdsPerIp,
    });
    const auth = new Authenticator({ ...config, jwtSecret: config.jwtSecret ?? devSecret });
    this.moderation = new Moderation({
      config,
      store,
      bus,
      subjects,
      history: this.#history,
      ids,
      auth,
      log,
      metrics: this.metrics,
      now,
      defaults,
      tracing,
    });
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
      onDelete: (id) => this.moderation.holds.cancel(id),
      now,
      tracing,
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
    const adminRoutes = this.moderation.attach(this.registry, {
      onPending: (state) => this.#fanout.markDirty(state),
      onLevel: (level) => this.load.ladder.pin(level ?? undefined),
      level: () => ({ level: this.load.ladder.level, pinned: this.load.ladder.pinned ?? null }),
    });
    this.connections = new ConnectionHandler({
      config,
      auth,
      admission: this.load.admission,
      slow: this.load.slow,
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
      holds: this.moderation.holds,
      globalBans: this.moderation.globalBans,
      automod: this.moderation.automod,
      stalls: this.#stalls,
      tracing,
    });

    this.#transport.websocket('/ws', {
      upgrade: (req) =>
        decideUpgrade(req, config, this.metrics, this.load.admission, anonymous, now()),
      open: (ws) => this.connections.open(ws),
      message: (ws, data) => this.connections.message(ws, data),
      close: (ws) => this.connections.close(ws),
      drain: (ws) => this.load.slow.drained(ws),
      dropped: (ws) => this.load.slow.close(ws),
    });
    this.load.attach(this.connections);
    const decide = (req: UpgradeRequest): UpgradeResult =>
      decideUpgrade(
        // The fallback speaks JSON: EventSource cannot choose a subprotocol.
        {
          ...req,
          header: (n) => (n === 'sec-websocket-protocol' ? 'roar.v1.json' : req.header(n)),
        },
        config,
        this.metrics,
        this.load.admission,
        anonymous,
        now(),
      );
    this.#transport.streamRoute(
      '/v1/sse',
      sse.opener(decide, {
        open: (ws) => this.connections.open(ws),
        close: (ws) => this.connections.close(ws),
      }),
    );
    this.#transport.route({
      method: 'post',
      pattern: '/v1/sse/:session',
      handler: fromAllowedOrigins(
        config.allowedOrigins,
        sse.poster((ws, data) => this.connections.message(ws, data)),
      ),
      maxBodyBytes: config.maxPayloadBytes * MAX_PAYLOAD_CUT_FACTOR,
    });
    for (const route of httpRoutes({
      registry: this.registry,
      store,
      metrics: this.metrics,
      config,
      now,
      // Not before global bans are loaded: a viewer sent here early could chat past a ban.
      ready: () => !this.#draining && bus.connected && this.#port > 0 && this.moderation.ready,
      ...(deps.clusterMetrics ? { clusterMetrics: deps.clusterMetrics } : {}),
    })) {
      this.#transport.route(route);
    }
    if (devSecret) {
      this.#transport.route({
        method: 'post',
        pattern: '/dev/token',
        handler: devLogin(devSecret, config.devLoginRoles, config.jwtMaxLifetimeS),
        maxBodyBytes: 4096,
      });
    }
    for (const route of adminRoutes) this.#transport.route(route);
    for (const route of fallbackRoutes(deps.files)) this.#transport.route(route);

    this.metrics.busConnected.set(bus.connected ? 1 : 0);
    this.metrics.storeConnected.set(isReachable(store) && !store.connected ? 0 : 1);
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
      this.#identities.flush(this.registry.values());
      this.#reporter.reportCounts(this.registry.values(), t);
      this.registry.sweep(t);
      this.registry.recover(t);
      this.registry.markStale(t, TOTALS_STALE_INTERVALS * config.countIntervalMs);
      this.metrics.streams.set(this.registry.size);
      this.metrics.storeConnected.set(isReachable(store) && !store.connected ? 0 : 1);
    });
    // Counts that moved (viewers leaving a draining gateway, arriving after a crash) are
    // reported within a tenth of an interval, on both sides of the move.
    const earlyGapMs = Math.max(50, Math.floor(config.reportIntervalMs / 10));
    this.#every(earlyGapMs, () => {
      const sent = this.#reporter.reportChanged(this.registry.values(), now(), earlyGapMs);
      if (sent > 0) this.metrics.earlyReports.inc(sent);
    });
    this.#every(config.reactionWindowMs, () =>
      this.#reporter.reportReactions(this.registry.values()),
    );
    this.#every(STALL_BEAT_MS, () => {
      const stall = this.#stalls.beat(now());
      if (stall) {
        this.metrics.loopStalls.inc();
        log.warn('event loop stalled', { ms: stall.to - stall.from });
      }
    });
    this.#every(250, () => this.load.sweepSlowClients());
    this.#every(500, () => this.load.samplePressure());
    this.#every(10_000, () => {
      const t = now();
      this.connections.chat.limiter.sweep(t);
      for (const state of this.registry.values()) state.mod.sweep(t);
      this.connections.reactionLimiter.sweep(t);
      own.sweep(t, 10_000);
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
    for (const t of this.#timers) clearInterval(t);
    this.load.stop();
    this.moderation.stop();
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

/** Loud warnings at start for settings that are fine on a laptop and wrong anywhere else. */
function warnInsecure(config: GatewayConfig, log: Logger): void {
  if (config.devLogin) {
    log.warn(
      '*** DEV LOGIN IS ON: anyone who can reach this port can mint tokens at POST /dev/token ' +
        `(roles: ${config.devLoginRoles === 'any' ? 'ANY, including admin' : 'demo roles for one stream'}). ` +
        'Development only: configure a JWT key and it turns off. ***',
    );
  }
  if (config.mode === 'gateway' && !anonIdSecret(config).shared) {
    log.warn(
      'anonymous viewers get different ids on each gateway and after restarts: set ROAR_ANON_ID_SECRET (or ROAR_JWT_SECRET)',
    );
  }
  if (config.metricsToken === undefined && !isLoopbackHost(config.host)) {
    log.warn(
      '/metrics needs no credentials: set ROAR_METRICS_TOKEN, or keep /metrics off the public edge',
    );
  }
}

/** Stores that can tell whether their server answers (Redis); the memory store always does. */
function isReachable(store: object): store is { readonly connected: boolean } {
  return typeof (store as { connected?: unknown }).connected === 'boolean';
}
