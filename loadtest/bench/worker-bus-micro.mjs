#!/usr/bin/env node
// What handing a stream's messages to worker threads costs (issue 17, part 2): the process's
// WorkerBusHost (one copy into shared memory, one port message per worker per turn) against the
// naive way (a structured-clone copy and a port message per message per worker). Event-loop busy
// time per message, on the main thread and summed over the workers. Run alone:
//   node loadtest/bench/worker-bus-micro.mjs [messages=20000] [workers=4] [bytes=200]
import { performance } from 'node:perf_hooks';
import { MessageChannel, Worker } from 'node:worker_threads';
import { MemoryBroker, WorkerBusHost } from '@roar/bus';

const [N = 20_000, W = 4, BYTES = 200] = process.argv.slice(2).map(Number);
const BUS = new URL('../../packages/bus/dist/index.js', import.meta.url).href;

// Counts what arrives; reports its event-loop busy time once it has `n`.
const viaBus = `
  const { workerData, parentPort } = require('node:worker_threads');
  const { performance } = require('node:perf_hooks');
  import(workerData.bus).then(async ({ connectWorkerBus }) => {
    const bus = await connectWorkerBus(workerData.port);
    let got = 0, sum = 0, elu0;
    bus.subscribe('s.x.*', (p) => {
      if (got === 0) elu0 = performance.eventLoopUtilization();
      sum += p[0];
      if (++got === workerData.n) {
        const elu = performance.eventLoopUtilization(elu0);
        parentPort.postMessage({ activeMs: elu.active, sum });
      }
    });
    await bus.flush();
    parentPort.postMessage('ready');
  });
`;
const naive = `
  const { workerData, parentPort } = require('node:worker_threads');
  const { performance } = require('node:perf_hooks');
  let got = 0, sum = 0, elu0;
  workerData.port.on('message', (m) => {
    if (got === 0) elu0 = performance.eventLoopUtilization();
    sum += m.payload[0];
    if (++got === workerData.n) {
      const elu = performance.eventLoopUtilization(elu0);
      parentPort.postMessage({ activeMs: elu.active, sum });
    }
  });
  parentPort.postMessage('ready');
`;

async function run(kind) {
  const broker = new MemoryBroker();
  const host = new WorkerBusHost(broker.connect());
  const ports = [];
  const workers = [];
  for (let i = 0; i < W; i++) {
    const { port1, port2 } = new MessageChannel();
    if (kind === 'host') host.attach(port1);
    ports.push(port1);
    workers.push(
      new Worker(kind === 'host' ? viaBus : naive, {
        eval: true,
        workerData: { port: port2, n: N, bus: BUS },
        transferList: [port2],
      }),
    );
  }
  const message = (w, type) =>
    new Promise((resolve) => w.once('message', (m) => type(m) && resolve(m)));
  await Promise.all(workers.map((w) => message(w, (m) => m === 'ready')));
  const done = Promise.all(workers.map((w) => message(w, (m) => typeof m === 'object')));
  const publisher = broker.connect();
  const payload = new Uint8Array(BYTES).fill(1);
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  // In turns of 100, as a NATS socket read hands over many messages at once.
  for (let i = 0; i < N; i += 100) {
    for (let k = 0; k < 100 && i + k < N; k++) {
      if (kind === 'host') publisher.publish('s.x.chat', payload);
      else for (const p of ports) p.postMessage({ subject: 's.x.chat', payload: payload.slice() });
    }
    await new Promise((r) => setImmediate(r));
  }
  const results = await done;
  const wallMs = performance.now() - t0;
  const mainMs = performance.eventLoopUtilization(elu0).active;
  const workerMs = results.reduce((s, r) => s + r.activeMs, 0);
  await Promise.all(workers.map((w) => w.terminate()));
  for (const p of ports) p.close();
  return {
    kind,
    messages: N,
    workers: W,
    bytes: BYTES,
    mainUsPerMessage: +((mainMs * 1000) / N).toFixed(2),
    workerUsPerDelivery: +((workerMs * 1000) / (N * W)).toFixed(2),
    wallMs: Math.round(wallMs),
    ...(kind === 'host' ? { portMessages: host.stats.posts } : { portMessages: N * W }),
  };
}

for (const kind of ['host', 'naive', 'host', 'naive']) console.log(JSON.stringify(await run(kind)));
process.exit(0);
