import type { ApiKey, EventLogSettings, SharedSettings } from '@roar/runtime';
import type { AllowedOrigins } from './origins.js';
import type { HooksConfig } from './hooks-config.js';
import type { WebhookSettings } from '@roar/webhooks';

export type Mode = 'embedded' | 'gateway';

/** Everything a gateway can be told, validated at start. docs/configuration.md lists each one. */
export interface GatewayConfig extends SharedSettings {
  mode: Mode;
  /** Gateway shards (worker threads) in this process, all on one port. */
  workers: number;
  /**
   * With several workers: `shared`, one NATS connection for the process (each stream's message
   * crosses NATS once per process); `own`, one per worker (the layout before it, kept to compare).
   */
  workerBus: 'shared' | 'own';
  host: string;
  port: number;
  gatewayId: string;

  tickMs: number;
  /** The durable event log (chat, moderation) and replay; `off` turns both off. */
  eventLog: EventLogSettings;
  historyOnJoin: number;
  historyCapacity: number;
  /** Most chat messages per stream kept to retry after failed history writes. */
  historyRetry: number;
  maxStreamsPerConnection: number;
  streamLingerMs: number;
  viewersMaxAgeS: number;

  /** Every held stream's rules and the global bans are reloaded from the store this often. */
  moderationRefreshMs: number;
  /** Failed moderation loads are retried, and the store's generation checked, this often. */
  moderationRetryMs: number;
  /** A gateway that finds the store empty waits this long for peers to restore its moderation. */
  freshStoreGraceMs: number;

  chatRatePerS: number;
  chatBurst: number;
  reactionRatePerS: number;
  reactionBurst: number;
  frameRatePerS: number;
  frameBurst: number;
  reactions: string[];
  // Polls
  /** Each held stream's queued votes go to the store as one batch this often. */
  pollFlushMs: number;
  /** Poll results go to viewers at most once per this window (longer under load). */
  pollResultsMs: number;
  /** Votes taken before a poll's end still count when they reach the store within this. */
  pollGraceMs: number;

  // Q&A (issue 14; features/qa)
  /** Questions on a viewer's board (`ROAR_QA_TOP_N`). */
  qaTopN: number;
  /** A held stream's board is read from the store, and sent if it changed, this often. */
  qaBoardIntervalMs: number;
  /** One question per identity per this long, across gateways (0: no limit). */
  qaAskIntervalMs: number;
  /** Upvotes are sent to the store in one batch per stream this often. */
  qaUpvoteFlushMs: number;
  qaUpvoteRatePerS: number;
  qaUpvoteBurst: number;

  allowAnonymous: boolean;
  anonymousChat: boolean;
  anonymousReactions: boolean;
  /**
   * Identities also travel in count reports, for an aggregator whose unique counter is in another
   * Redis (the gateways of the standby region of two; docs/architecture.md, "Two regions").
   */
  uniquesInReports: boolean;
  jwtSecret: string | undefined;
  jwtPublicKey: string | undefined;
  jwtJwksUrl: string | undefined;
  jwtIssuer: string | undefined;
  jwtAudience: string | undefined;
  /** Longest token lifetime accepted (`exp` required; `exp - iat` and `exp - now` at most this). */
  jwtMaxLifetimeS: number;
  /** `POST /dev/token` mounted: development on loopback only, never with a key configured. */
  devLogin: boolean;
  /** What dev login may mint: the demo page's stream-scoped roles, or any role (`any`). */
  devLoginRoles: 'demo' | 'any';
  /** Secret the shown ids of anonymous viewers are derived with (HMAC); see anonymous.ts. */
  anonIdSecret: string | undefined;
  /** Distinct anonymous identities one address may have counted; the rest share one. */
  anonIdsPerIp: number;
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Browser origins allowed besides the server's own (see `origins.ts`); undefined: as before. */
  allowedOrigins: AllowedOrigins;

  maxPayloadBytes: number;
  idleTimeoutS: number;

  /** Chat messages per second a viewer receives per stream before sampling. */
  chatBudgetPerS: number;
  /** While a stream's chat is sampled, its frames go out at most this often. */
  stormTickMs: number;
  /**
   * Sockets per slice of a stream, and written per event-loop turn at most. One uWS publish to
   * 19k sockets blocks the loop for 150–350 ms here (8–20 µs a write); in slices of 2,000 a big
   * stream's frame goes out over turns of 20–40 ms, with new connections, acks and pings served
   * in between.
   */
  fanoutSliceSockets: number;
  softBackpressureBytes: number;
  maxBackpressureBytes: number;
  slowClientMaxMs: number;
  /** How long a slow consumer's address keeps its per-IP slot after the gateway aborts it. */
  slowCloseLingerMs: number;
  admissionRatePerS: number;
  admissionBurst: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Proxies whose X-Forwarded-For names the client (addresses or CIDR ranges). */
  trustedProxies: string[];
  retryAfterS: number;
  drainWindowMs: number;
  ladderLoopDelayMs: number;
  ladderBufferedBytes: number;
  /** Share of one core used by everything but fanout's writes (they take what is left). */
  ladderCpu: number;
  /** A frame taking this long to reach every socket (or waiting so far) is pressure. */
  ladderFanoutMs: number;
  ladderUpMs: number;
  ladderDownMs: number;
  /**
   * Secret admission tickets are signed with (HMAC): gateways of one cluster need the same one
   * for a ticket from one to count at another. Undefined: derived like `anonIdSecret`.
   */
  admissionTicketSecret: string | undefined;
  /** How long after its come-back time a ticket still counts. */
  admissionTicketWindowS: number;
  /** A scheduled event's warm-up begins this long before its start unless the plan says when. */
  scheduleWarmLeadMs: number;
  /** The scale signal reaches an event's peak this long before its start. */
  scheduleScaleLeadMs: number;
  /** Viewers one gateway serves at its planned load: the scale signal's divisor. */
  scheduleViewersPerGateway: number;
  /** A degradation level to hold from the start (operators and tests); undefined = measured. */
  pinnedLevel: number | undefined;

  /** Admin API keys (`name:key` pairs). */
  adminApiKeys: ApiKey[];
  /** The app backend's connect, join and publish hooks (and the built-in publish rules). */
  hooks: HooksConfig;
  /** Webhooks run in-process over the event log in embedded mode (the webhook process otherwise). */
  webhooks: WebhookSettings;

  /** OpenTelemetry traces (admin API calls, chat across gateways): off, or OTLP over HTTP. */
  tracing: 'off' | 'otlp';
  /** Where spans go: an OTLP/HTTP traces endpoint. */
  otlpEndpoint: string;
  /** Fraction of traces started here that are kept (a caller's sampled flag is followed). */
  traceSampleRatio: number;
}
