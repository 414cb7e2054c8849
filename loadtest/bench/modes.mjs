// Sizes and time budgets of each mode. `full` is what RESULTS.md reports; `quick` is a smoke
// run of every section at small counts; `smoke` is the vitest test's slice.
const servers = ['roar', 'socketio', 'uws'];
/** Relay off/on; 1 worker, 4 with a connection each (`own`), 4 sharing one (`shared`). */
const RELAY_VARIANTS = [
  { relay: false, workers: 1 },
  { relay: true, workers: 1 },
  { relay: false, workers: 4, bus: 'own' },
  { relay: false, workers: 4, bus: 'shared' },
  { relay: true, workers: 4, bus: 'shared' },
];

export const MODES = {
  full: {
    deadlineMs: 9 * 60_000,
    budgets: {
      cluster: 120_000,
      'connection-storm': 60_000,
      aggregator: 60_000,
      profile: 50_000,
      relay: 150_000,
    },
    servers: {
      kinds: servers,
      viewers: 19_000,
      viewerWorkers: 4,
      chatters: 20,
      openBudgetMs: 60_000,
      // Offered deliveries/s = rate × viewers: 19k–114k at 19k viewers, 20k–120k at 10k.
      fanout: [
        { n: 19_000, rates: [1, 2, 4] },
        { n: 10_000, rates: [2, 4, 6, 8] },
      ],
      stepSeconds: 3,
      minMessages: 6,
      graceMs: 1500,
      stepReserveMs: 12_000,
      ladderWaitMs: 25_000,
      warmup: { count: 1500, rate: 300 },
      storm: { viewers: 1000, rate: 200, seconds: 10, graceMs: 1000, restMs: 3000 },
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
    profile: {
      viewers: 10_000,
      rate: 4,
      seconds: 6,
      warmup: { count: 1500, rate: 300 },
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
  },
  quick: {
    deadlineMs: 3 * 60_000,
    budgets: {
      cluster: 40_000,
      'connection-storm': 25_000,
      aggregator: 20_000,
      profile: 25_000,
      relay: 90_000,
    },
    servers: {
      kinds: servers,
      viewers: 2000,
      viewerWorkers: 2,
      chatters: 20,
      openBudgetMs: 20_000,
      fanout: [
        { n: 2000, rates: [5, 10, 20] },
        { n: 1000, rates: [10, 20] },
      ],
      stepSeconds: 1.5,
      minMessages: 6,
      graceMs: 1000,
      stepReserveMs: 6000,
      ladderWaitMs: 10_000,
      warmup: { count: 600, rate: 300 },
      storm: { viewers: 300, rate: 200, seconds: 4, graceMs: 1000, restMs: 1000 },
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
  },
};
