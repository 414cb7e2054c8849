import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { NatsServer, waitFor } from '@roar/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeBusContract } from '../src/bus-contract.js';
import { connectNatsBus } from '../src/nats-bus.js';
import { WorkerBusHost } from '../src/worker-bus-host.js';
import { connectWorkerBus } from '../src/worker-bus.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

let server: NatsServer;

beforeAll(async () => {
  server = await NatsServer.start({ monitor: true });
});
afterAll(async () => {
  await server[Symbol.asyncDispose]();
});
afterEach(async () => {
  if (!server.running) await server.start();
});

// Both "workers" share the host's one NATS connection: the case the gateway runs.
describeBusContract('worker (NATS host)', async () => {
  const host = new WorkerBusHost(await connectNatsBus({ servers: server.url, name: 'host' }));
  const open = async (): ReturnType<typeof connectWorkerBus> => {
    const { port1, port2 } = new MessageChannel();
    host.attach(port1);
    return connectWorkerBus(port2);
  };
  const a = await open();
  const b = await open();
  return {
    a,
    b,
    async restartBroker() {
      await server.stop();
      await server.start();
    },
    async dispose() {
      await Promise.all([a.close(), b.close()]);
      await host.close();
    },
  };
});

// A worker thread that echoes what it receives on `<prefix>.in` to `<prefix>.out.<n>`.
const echoWorker = `
  const { workerData } = require('node:worker_threads');
  import(workerData.bus).then(async ({ connectWorkerBus }) => {
    const bus = await connectWorkerBus(workerData.port);
    bus.subscribe(workerData.prefix + '.in', (p) =>
      bus.publish(workerData.prefix + '.out.' + workerData.n, p),
    );
    await bus.flush();
    bus.publish(workerData.prefix + '.ready', new Uint8Array([workerData.n]));
  });
`;

describe('WorkerBus in worker threads', () => {
  it('serves several threads over one NATS connection, receiving each message once', async () => {
    // Worker threads load the built package, as a gateway's workers do.
    const dist = new URL('../dist/index.js', import.meta.url);
    if (!existsSync(fileURLToPath(dist)))
      throw new Error(
        `${fileURLToPath(dist)} is missing: run \`npm run build\` first (npm test does)`,
      );
    const nats = await connectNatsBus({ servers: server.url, name: 'host' });
    const host = new WorkerBusHost(nats);
    const outside = await connectNatsBus({ servers: server.url, name: 'outside' });
    const prefix = `w${Date.now().toString(36)}`;
    const ready: number[] = [];
    const echoes: string[] = [];
    outside.subscribe(`${prefix}.ready`, (p) => ready.push(p[0] as number));
    outside.subscribe(`${prefix}.out.*`, (p, s) => echoes.push(`${s.slice(-1)}:${text(p)}`));
    await outside.flush();
    const workers = [1, 2, 3].map((n) => {
      const { port1, port2 } = new MessageChannel();
      host.attach(port1);
      return new Worker(echoWorker, {
        eval: true,
        workerData: {
          port: port2,
          n,
          prefix,
          bus: dist.href,
        },
        transferList: [port2],
      });
    });
    try {
      await waitFor(() => ready.length === 3, { timeoutMs: 15_000, message: 'workers ready' });
      expect(host.patterns).toBe(1);
      for (let i = 0; i < 100; i++) outside.publish(`${prefix}.in`, bytes(String(i)));
      await waitFor(() => echoes.length === 300, { timeoutMs: 15_000, message: '300 echoes' });
      // 100 messages crossed NATS into the process once each and reached three threads.
      expect(host.stats.received).toBe(100);
      expect(host.stats.delivered).toBe(300);
      for (const n of [1, 2, 3]) {
        expect(echoes.filter((e) => e.startsWith(`${n}:`)).map((e) => e.slice(2))).toEqual(
          Array.from({ length: 100 }, (_, i) => String(i)),
        );
      }
      // The server sees two client connections (host and outside), not four.
      const connz = (await (await fetch(server.monitorUrl('connz'))).json()) as {
        num_connections: number;
      };
      expect(connz.num_connections).toBe(2);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
      await waitFor(() => host.patterns === 0, { message: "exited workers' interest dropped" });
      await host.close();
      await outside.close();
    }
  });
});
