// Sizes and time budgets of each mode. `full` is what RESULTS.md reports; `quick` is a smoke
// run of every section at small counts; `smoke` is the vitest test's slice.
const servers = ['roar', 'socketio', 'uws'];
/** With the storm's floor: bare uWS with Roar's delivery policy, in the chat storm alone. */
const withFloor = [...servers, 'uws-sampled'];
/** The webhook process's defaults (ROAR_WEBHOOK_*), as deployed. */
const WEBHOOK_DISPATCH = {
  maxBatch: 500,
  waitMs: 1000,
  minIntervalMs: 100,
  timeoutMs: 10_000,
  maxAttempts: 8,
  backoffBaseMs: 1000,
  backoffMaxMs: 60_000,
};
/** Relay off/on; 1 worker, 4 with a connection each (`own`), 4 sharing one (`shared`). */
const RELAY_VARIANTS = [
  { relay: false, workers: 1 },
  { relay: true, workers: 1 },
  { relay: false, workers: 4, bus: 'own' },
  { relay: false, workers: 4, bus: 'shared' },
  { relay: true, workers: 4, bus: 'shared' },
];

/**
 * Roar's settings for the ramp, on a gateway of its own: a chat budget above the ramp's rates, so
 * the ramp measures what fanout can carry, not the product's choice to show a viewer at most 25
 * messages a second (`ROAR_CHAT_BUDGET`; with it, 10,000 viewers get at most 250,000 a second).
 */
export const RAMP_ROAR = { ROAR_CHAT_BUDGET: '1000' };

export const MODES = {
  full: {
    // Every section, core and features, in one run on 2 cores: about 20 minutes.
    deadlineMs: 25 * 60_000,
    budgets: {
      cluster: 120_000,
      'connection-storm': 60_000,
      aggregator: 60_000,
      hooks: 30_000,
      webhooks: 40_000,
      relay: 150_000,
      profile: 50_000,
      toss: 90_000,
      'fair-admission': 60_000,
      'warm-cost': 40_000,
      log: 90_000,
      qa: 60_000,
      polls: 150_000,
      paired: 240_000,
    },
    servers: {
      kinds: withFloor,
      viewers: 19_000,
      viewerWorkers: 4,
      chatters: 20,
      openBudgetMs: 60_000,
      // Offered deliveries/s = rate × viewers: 19k–76k at 19k viewers; at 10k the ramp, 20k
      // up to 2.56M, doubling until bare uWS stops rising (each server stops at its ceiling).
      fanout: [
        { n: 19_000, rates: [1, 2, 4] },
        {
          n: 10_000,
          rates: [2, 4, 8, 16, 32, 64, 128, 256],
          ramp: true,
          roarEnv: RAMP_ROAR,
          // 10 messages at 2/s: the low-rate latency target reads this step's p99.
          minMessages: 10,
          // Where every server writes each message as its own frame to each viewer: the CPU
          // per frame comparison. Above, bare uWS puts several frames in one write and Roar
          // merges messages into one frame, and a frame stops being the same unit of work.
          cpuRates: [2, 4, 8],
        },
      ],
      // The CPU-per-frame targets' figures: Roar and bare uWS up at once, their steps alternated
      // (phases/paired.mjs), the same audiences and rates as section 1's comparison.
      paired: {
        sets: [
          { n: 19_000, rates: [1, 2, 4] },
          { n: 10_000, rates: [2, 4, 8], roarEnv: RAMP_ROAR },
        ],
      },
      stepSeconds: 3,
      minMessages: 6,
      graceMs: 1500,
      stepReserveMs: 12_000,
      ladderWaitMs: 25_000,
      // 4,500 messages in 3 rounds a second apart: V8 (Node 22) moves a function to TurboFan
      // after 3,000 calls (`--invocation-count-for-turbofan`), 500 more after its last inline-cache
      // change; after 1,500 in one burst, perf showed Roar's chat path (`^handle`, `^#publish`) in
      // the baseline tier through most of the storm.
      warmup: { count: 4500, rate: 300, rounds: 3, pauseMs: 1000 },
      // largeViewers: Roar's second row (the same chat before 5,000 viewers); wakeUps: what an
      // event-loop wake-up costs, measured beside the storm (lib/wakeups.mjs).
      storm: {
        viewers: 1000,
        rate: 200,
        seconds: 10,
        graceMs: 1000,
        restMs: 3000,
        largeViewers: 5000,
        wakeUps: { seconds: 4, restMs: 2000 },
        // Roar's storms under perf where it works: its CPU split by what spent it
        // (lib/perf-split.mjs); else the report estimates it from bare uWS's cost per frame.
        perf: true,
      },
      // Names JavaScript's frames for perf (a map file per process, written as code compiles).
      nodeArgs: ['--perf-basic-prof'],
    },
    cluster: {
      gateways: 6,
      viewerWorkers: 8,
      freshViewers: 50_000,
      freshGateways: 3,
      totalConnections: 100_000,
      joins: 12,
      heapViewers: 5000,
      openBudgetMs: 60_000,
    },
    connectionStorm: {
      attempts: 50_000,
      workers: 4,
      concurrency: 400,
      perAddress: 400,
      budgetMs: 40_000,
    },
    aggregator: { gateways: 1000, streams: 10_000, seconds: 10 },
    hooks: { joins: 10_000, viewers: [10_000, 7000], spreadMs: 1000, appLatencyMs: 20 },
    webhooks: {
      ratePerS: 5000,
      seconds: 5,
      streams: 50,
      receiverLatencyMs: 20,
      dispatch: WEBHOOK_DISPATCH,
    },
    // Issue 18 (phases/scheduled.mjs): tens of thousands of joins on a warmed and a cold stream,
    // and a connection storm admitted by ticket and by jittered retry.
    toss: { joins: 20_000, gateways: 2, workers: 2, budgetMs: 60_000, stallMs: 1000 },
    warmCost: { streams: 2000 },
    // Twice the admission rate for 3 s, with a small burst so that nearly everyone queues.
    fairAdmission: {
      clients: 6000,
      spreadMs: 3000,
      ratePerS: 1000,
      burst: 200,
      workers: 2,
      budgetMs: 60_000,
    },
    // The event log: chat CPU with ROAR_LOG off and on, replay of a hot bucket (log.mjs).
    log: {
      pairs: 3,
      seconds: 8,
      rate: 300,
      chatters: 20,
      viewers: 100,
      requests: 3000,
      concurrency: 32,
    },
    // Q&A (issue 14): an upvote burst over several gateway processes (phases/qa.mjs).
    qa: { gateways: 3, voters: 3000, questions: 30, dupShare: 0.1, burstMs: 3000 },
    // Polls: 20,000 signed-in voters (and 500 of them on a second gateway too) within 10 s.
    polls: {
      gateways: 3,
      workers: 2,
      voters: 20_000,
      twins: 500,
      seconds: 10,
      openBudgetMs: 90_000,
    },
    profile: {
      viewers: 10_000,
      rate: 4,
      seconds: 6,
      warmup: { count: 4500, rate: 300, rounds: 3, pauseMs: 1000 },
      storm: { viewers: 1000, rate: 200, seconds: 6 },
    },
    // Issue 17: NATS copies and gateway CPU of a chat storm, relay on/off, 1 or 4 workers. Three
    // gateway processes, not six: this machine has 2 cores for all of them and the clients.
    relay: {
      processes: 3,
      viewersPerProcess: 100,
      // 400 messages a second offered: 8 times the relay's default rate of 50.
      chatters: 20,
      ratePerChatter: 20,
      seconds: 5,
      graceMs: 1500,
      variants: RELAY_VARIANTS,
    },
    // Live widgets: 100 writes/s of one key while these viewers watch (one gateway).
    widgets: {
      viewers: 19_000,
      viewerWorkers: 4,
      openBudgetMs: 60_000,
      rate: 100,
      seconds: 10,
      // 20 chat frames alone first: the reference's p99 is not the max of a handful.
      chat: { count: 40, rate: 4, graceMs: 1500, aloneCount: 20 },
    },
  },
  // `--storm`: the chat storm of section 2 alone (every server, both Roar rows), without the
  // fanout steps: about 2 minutes, for work on what a chat costs.
  storm: {
    deadlineMs: 8 * 60_000,
    budgets: {},
    servers: undefined,
  },
  quick: {
    deadlineMs: 3 * 60_000,
    budgets: {
      cluster: 40_000,
      'connection-storm': 25_000,
      aggregator: 20_000,
      profile: 25_000,
      relay: 90_000,
      log: 40_000,
      qa: 30_000,
      polls: 60_000,
      paired: 30_000,
    },
    servers: {
      kinds: withFloor,
      viewers: 2000,
      viewerWorkers: 2,
      chatters: 20,
      openBudgetMs: 20_000,
      fanout: [
        { n: 2000, rates: [5, 10, 20] },
        {
          n: 1000,
          rates: [2, 10, 20, 40, 80],
          ramp: true,
          roarEnv: RAMP_ROAR,
          minMessages: 6,
          cpuRates: [2, 10],
        },
      ],
      paired: { sets: [{ n: 1000, rates: [10] }] },
      stepSeconds: 1.5,
      minMessages: 6,
      graceMs: 1000,
      stepReserveMs: 6000,
      ladderWaitMs: 10_000,
      warmup: { count: 600, rate: 300 },
      storm: {
        viewers: 300,
        rate: 200,
        seconds: 4,
        graceMs: 1000,
        restMs: 1000,
        largeViewers: 1500,
        wakeUps: { seconds: 2, restMs: 1000 },
      },
    },
    cluster: {
      gateways: 4,
      viewerWorkers: 3,
      freshViewers: 3000,
      freshGateways: 3,
      totalConnections: 6000,
      joins: 4,
      heapViewers: 1000,
      openBudgetMs: 20_000,
    },
    connectionStorm: {
      attempts: 5000,
      workers: 2,
      concurrency: 200,
      perAddress: 400,
      budgetMs: 15_000,
    },
    aggregator: { gateways: 100, streams: 1000, seconds: 3 },
    hooks: { joins: 10_000, viewers: [10_000], spreadMs: 1000, appLatencyMs: 20 },
    webhooks: {
      ratePerS: 2000,
      seconds: 2,
      streams: 20,
      receiverLatencyMs: 20,
      dispatch: WEBHOOK_DISPATCH,
    },
    toss: { joins: 2000, gateways: 2, workers: 2, budgetMs: 20_000, stallMs: 1000 },
    warmCost: { streams: 200 },
    fairAdmission: {
      clients: 600,
      spreadMs: 1000,
      ratePerS: 300,
      burst: 50,
      workers: 2,
      budgetMs: 20_000,
    },
    log: {
      pairs: 1,
      seconds: 3,
      rate: 150,
      chatters: 10,
      viewers: 20,
      requests: 500,
      concurrency: 16,
    },
    qa: { gateways: 3, voters: 600, questions: 20, dupShare: 0.1, burstMs: 2000 },
    polls: { gateways: 3, workers: 1, voters: 2000, twins: 100, seconds: 5, openBudgetMs: 30_000 },
    profile: {
      viewers: 1000,
      rate: 20,
      seconds: 3,
      storm: { viewers: 300, rate: 200, seconds: 3 },
    },
    relay: {
      processes: 2,
      viewersPerProcess: 40,
      chatters: 10,
      ratePerChatter: 20,
      seconds: 3,
      graceMs: 1500,
      variants: RELAY_VARIANTS,
    },
    widgets: {
      viewers: 2000,
      viewerWorkers: 2,
      openBudgetMs: 30_000,
      rate: 100,
      seconds: 5,
      chat: { count: 20, rate: 4, graceMs: 1500 },
    },
  },
  smoke: {
    deadlineMs: 60_000,
    budgets: {},
    servers: {
      kinds: servers,
      viewers: 200,
      viewerWorkers: 1,
      chatters: 20,
      openBudgetMs: 10_000,
      fanout: [{ n: 200, rates: [10] }],
      stepSeconds: 1,
      minMessages: 6,
      graceMs: 1000,
      stepReserveMs: 3000,
      ladderWaitMs: 5000,
      storm: undefined,
    },
    widgets: {
      viewers: 200,
      viewerWorkers: 1,
      openBudgetMs: 15_000,
      rate: 100,
      seconds: 2,
      chat: { count: 8, rate: 4, graceMs: 1000 },
    },
  },
};
MODES.storm.servers = {
  ...MODES.full.servers,
  viewers: MODES.full.servers.storm.largeViewers,
  fanout: [],
  paired: undefined,
};
