import type { StatusMessage } from '@roar/protocol';
import type { Logger } from '@roar/runtime';
import { ticketSecret } from './admission-ticket.js';
import { Admission } from './admission.js';
import type { LoopDelay } from '../base/beat.js';
import type { GatewayConfig } from '../base/config.js';
import { DegradationLadder, LEVEL_TEXT } from './degradation.js';
import type { Fanout } from '../streams/fanout.js';
import type { GatewayMetrics } from '../base/metrics.js';
import { SlowClients } from './slow-clients.js';
import type { Socket } from '../transport/socket.js';

/** What load control drives on the connection layer above it (the connection handler). */
export interface LoadTarget {
  readonly openSockets: Iterable<Socket>;
  /** The degradation level changed: apply its limits to connections and tell them. */
  setLevel(status: StatusMessage): void;
}

/** The ladder's limits and timing, and the policies it scales (counts, reactions, chat). */
export type LoadConfig = Pick<
  GatewayConfig,
  | 'ladderLoopDelayMs'
  | 'ladderBufferedBytes'
  | 'ladderCpu'
  | 'ladderFanoutMs'
  | 'ladderUpMs'
  | 'ladderDownMs'
  | 'pinnedLevel'
  | 'countIntervalMs'
  | 'reactionWindowMs'
  | 'chatBudgetPerS'
>;

export interface LoadControlOptions {
  config: LoadConfig;
  metrics: GatewayMetrics;
  log: Logger;
  fanout: Fanout;
  connections: LoadTarget;
  admission: Admission;
  slow: SlowClients;
  /** How late the gateway's beat came, its own reader (see `Beat.delays`): the loop delay. */
  loopDelay: LoopDelay;
  now: () => number;
}

/** Admission control as the configuration sets it (built before the connection layer). */
export function admissionFor(
  config: Pick<
    GatewayConfig,
    | 'admissionRatePerS'
    | 'admissionBurst'
    | 'maxConnections'
    | 'maxConnectionsPerIp'
    | 'retryAfterS'
    | 'slowCloseLingerMs'
    | 'admissionTicketWindowS'
    | 'admissionTicketSecret'
    | 'jwtSecret'
    | 'anonIdSecret'
  >,
  metrics: GatewayMetrics,
  now: number,
): Admission {
  return new Admission(
    {
      ratePerS: config.admissionRatePerS,
      burst: config.admissionBurst,
      maxConnections: config.maxConnections,
      maxPerIp: config.maxConnectionsPerIp,
      retryAfterS: config.retryAfterS,
      lingerMs: config.slowCloseLingerMs,
      ticketSecret: ticketSecret(config),
      ticketWindowMs: config.admissionTicketWindowS * 1000,
    },
    metrics,
    now,
  );
}

/** Slow-client shedding as the configuration sets it, moving sockets between fanout's tiers. */
export function slowClientsFor(
  config: Pick<GatewayConfig, 'softBackpressureBytes' | 'maxBackpressureBytes' | 'slowClientMaxMs'>,
  metrics: GatewayMetrics,
  fanout: Fanout,
  admission: Admission,
  now: () => number,
): SlowClients {
  return new SlowClients(
    {
      softBytes: config.softBackpressureBytes,
      hardBytes: config.maxBackpressureBytes,
      maxSlowMs: config.slowClientMaxMs,
      moveTier: (ws, stream, toPriority) => fanout.moveTier(ws, stream, toPriority),
      admission,
      now,
    },
    metrics,
  );
}

/** How much slower counts go at level 1, and how much less chat a viewer gets at level 3. */
const COUNT_SLOWDOWN = 5;
const CHAT_BUDGET_CUT = 2.5;
/**
 * Least spacing of the features' latest-value events by degradation level: every tick at 0, then
 * 250 ms, 500 ms, 1 s. A viewer of a busy stream then costs at most 4, 2, 1 such frames a second.
 */
const FEATURE_SPACING_MS = [0, 250, 500, 1000];
/** Less time without a fanout backlog in a sample period gives no CPU reading of it. */
const MIN_IDLE_MS = 50;

/**
 * Everything that keeps a gateway standing under load, in the order the seeds set: admission
 * control for connection storms, priority shedding for slow clients, and the degradation ladder
 * driven by measured pressure (event-loop delay, buffered bytes, CPU, fanout's lag) — counter
 * freshness goes first, then reaction detail, then chat volume, then new chat, then new viewers.
 */
export class LoadControl {
  readonly admission: Admission;
  readonly slow: SlowClients;
  readonly ladder: DegradationLadder;
  readonly #o: LoadControlOptions;
  /** Share of a core used while fanout had no backlog (see `samplePressure`). */
  #cpu = 0;
  #buffered = 0;
  #draining = false;

  constructor(options: LoadControlOptions) {
    const { config } = options;
    this.#o = options;
    this.admission = options.admission;
    this.slow = options.slow;
    this.ladder = new DegradationLadder(
      {
        limits: {
          loopDelayMs: config.ladderLoopDelayMs,
          bufferedBytes: config.ladderBufferedBytes,
          cpu: config.ladderCpu,
          fanoutMs: config.ladderFanoutMs,
        },
        upAfterMs: config.ladderUpMs,
        downAfterMs: config.ladderDownMs,
        calmFactor: 0.6,
      },
      (level, previous, why) => this.#apply(level, previous, why),
    );
    if (config.pinnedLevel !== undefined) this.ladder.pin(config.pinnedLevel);
  }

  /** Checks every connection's send buffer (every 250 ms). */
  sweepSlowClients(): void {
    this.#buffered = this.slow.sweep(this.#o.connections.openSockets, this.#o.now());
    this.#o.metrics.bufferedBytes.set(this.#buffered);
  }

  /**
   * Measures pressure and feeds the ladder (every 500 ms). The CPU is read while fanout has no
   * backlog: with one, its writes merge a stream's news and take whatever the core has free (a
   * gateway writing a big stream's frames back to back uses all of it without being overloaded),
   * and how far behind they are is a signal of its own. A period spent all writing keeps the
   * last reading.
   */
  samplePressure(): void {
    const { loopDelay, fanout } = this.#o;
    const now = this.#o.now();
    const load = fanout.takeLoad(now);
    if (load.idleMs >= MIN_IDLE_MS) this.#cpu = load.idleCpuUs / 1000 / load.idleMs;
    const loopDelayMs = loopDelay.count > 0 ? loopDelay.percentile(99) / 1e6 : 0;
    loopDelay.reset();
    this.ladder.sample(
      { loopDelayMs, bufferedBytes: this.#buffered, cpu: this.#cpu, fanoutMs: load.behindMs },
      now,
    );
  }

  /** Stops admitting for good (shutdown). */
  startDraining(): void {
    this.#draining = true;
    this.admission.setClosed(true);
  }

  #apply(level: number, previous: number, why: string): void {
    const { config, fanout, metrics, log } = this.#o;
    // The aggregator already publishes a stream's count at most once per interval; the gateway
    // adds its own spacing only when it sheds counter freshness.
    fanout.applyPolicy({
      countIntervalMs: level >= 1 ? config.countIntervalMs * COUNT_SLOWDOWN : 0,
      reactionIntervalMs: level >= 2 ? Math.max(1000, 4 * config.reactionWindowMs) : 0,
      // Features' latest values (a score, poll results, a Q&A board) keep only their newest
      // value per push: spacing them costs freshness, never a value.
      featureIntervalMs: FEATURE_SPACING_MS[Math.min(level, FEATURE_SPACING_MS.length - 1)] ?? 0,
      chatBudgetPerS: config.chatBudgetPerS / (level >= 3 ? CHAT_BUDGET_CUT : 1),
    });
    this.admission.setClosed(this.#draining || level >= 5);
    metrics.degradationLevel.set(level);
    const status: StatusMessage = { type: 'status', level, text: LEVEL_TEXT[level] ?? 'degraded' };
    this.#o.connections.setLevel(status);
    // `level` would overwrite the log line's own level field.
    log.warn('degradation level changed', { degradation: level, previous, why, text: status.text });
  }
}
