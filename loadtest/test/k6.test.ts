import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K6Sim, bundle, healthyServer, loadVu, type FakeSocket } from './k6-sim.js';

// The k6 scenarios under a simulation of k6 (see k6-sim.ts): the bugs a real k6 run found
// (issue 16), each checked against the script's own code.

const SCRIPTS = ['toss.js', 'steady-chat.js', 'wicket-spike.js', 'soak.js', 'reconnect-storm.js'];
const files: Record<string, { file: string; dispose: () => void }> = {};
const SECRET = { ROAR_JWT_SECRET: 'k6-sim-secret-0123456789abcdefghijkl' };

type Fn = (data: unknown) => void;
interface Script {
  options: {
    scenarios: Record<string, { exec: string; duration?: string; stages?: { duration: string }[] }>;
    thresholds: Record<string, unknown[]>;
  };
  [name: string]: unknown;
}

async function vu(script: string, sim: K6Sim): Promise<Script> {
  return (await loadVu((files[script] as { file: string }).file, sim)) as unknown as Script;
}

function seconds(d: string): number {
  const m = /^(\d+)s$/.exec(d);
  if (!m) throw new Error(`not a duration in seconds: ${d}`);
  return Number(m[1]);
}

/** Runs `fn` as k6 would for one VU of a scenario, until `endMs` or `max` iterations. */
function runScenario(sim: K6Sim, fn: Fn, endMs: number, max = 10_000): number {
  let iterations = 0;
  while (sim.now < endMs && iterations < max) {
    sim.iterate(fn, { runId: 'r1' }, endMs);
    iterations++;
  }
  return iterations;
}

beforeAll(async () => {
  for (const s of SCRIPTS) files[s] = await bundle(s);
}, 60_000);

afterAll(() => {
  for (const f of Object.values(files)) f.dispose();
});

describe('k6 scenarios: options', () => {
  it('guard every latency and rate threshold with a count of its samples', async () => {
    for (const script of SCRIPTS) {
      const { options } = await vu(script, new K6Sim(healthyServer(), SECRET));
      const keys = Object.keys(options.thresholds);
      const guarded = keys.filter((k) =>
        /^roar_(delivery_latency|join_time|rejoin_time|chat_failed|connect_errors|unexpected_close)(\{|$)/.test(
          k,
        ),
      );
      expect(guarded.length, script).toBeGreaterThan(0);
      for (const key of guarded) {
        const m = /^([a-z_]+)(?:\{(.*)\})?$/.exec(key) as RegExpExecArray;
        const guard = `roar_samples{metric:${m[1]}${m[2] ? `,${m[2]}` : ''}}`;
        expect(options.thresholds[guard], `${script}: ${key}`).toEqual(['count>0']);
      }
    }
  });

  it('scale to a one-minute run', async () => {
    const total = (o: Script['options'], name: string): number => {
      const s = o.scenarios[name] as { duration?: string; stages?: { duration: string }[] };
      return s.stages
        ? s.stages.reduce((sum, st) => sum + seconds(st.duration), 0)
        : seconds(s.duration as string);
    };
    const toss = await vu('toss.js', new K6Sim(healthyServer(), { RAMP_S: '20', HOLD_S: '20' }));
    expect(total(toss.options, 'viewers')).toBe(60);
    expect(total(toss.options, 'overlay')).toBe(60);
    const wicket = await vu(
      'wicket-spike.js',
      new K6Sim(healthyServer(), { SPIKE_AT_S: '30', SPIKE_S: '15', AFTER_S: '15' }),
    );
    expect(total(wicket.options, 'crowd')).toBe(60);
    const steady = await vu(
      'steady-chat.js',
      new K6Sim(healthyServer(), { RAMP_S: '15', DURATION: '35s' }),
    );
    expect(total(steady.options, 'watchers')).toBe(60);
    const soak = await vu('soak.js', new K6Sim(healthyServer(), { DURATION: '1m' }));
    expect(total(soak.options, 'watchers')).toBe(60);
  });

  it('hold the wicket spike to the storm tick plus the baseline budget', async () => {
    const spike = (o: Script['options']): unknown =>
      o.thresholds['roar_delivery_latency{phase:spike}'];
    expect(spike((await vu('wicket-spike.js', new K6Sim(healthyServer()))).options)).toEqual([
      'p(95)<750',
    ]);
    const tick = await vu('wicket-spike.js', new K6Sim(healthyServer(), { STORM_TICK_MS: '250' }));
    expect(spike(tick.options)).toEqual(['p(95)<500']);
  });
});

describe('k6 scenarios: chat text', () => {
  for (const [script, exec, env] of [
    ['toss.js', 'viewer', { CHAT_FRACTION: '1', CHAT_EVERY_S: '2', RAMP_S: '20', HOLD_S: '60' }],
    ['wicket-spike.js', 'crowd', { CROWD: '1', CHAT_RATE: '0.5' }],
    ['soak.js', 'chatter', { CHAT_EVERY_S: '2', SESSION_MIN_S: '10', SESSION_MAX_S: '12' }],
    ['steady-chat.js', 'chatter', { RATE: '0.5', PER_USER_RATE: '0.5', DURATION: '2m' }],
  ] as const) {
    it(`${script}: never repeats a text, within a session or across sessions`, async () => {
      const server = healthyServer();
      const sim = new K6Sim(server, { ...SECRET, ...env });
      const mod = await vu(script, sim);
      // Two minutes of one VU: soak's sessions end and start again meanwhile.
      runScenario(sim, mod[exec] as Fn, sim.now + 120_000, 50);
      expect(server.chats.length, 'chats sent').toBeGreaterThan(10);
      expect(new Set(server.chats).size).toBe(server.chats.length);
      if (script === 'soak.js') expect(sim.sockets.length).toBeGreaterThan(2);
    });
  }
});

describe('k6 scenarios: reconnecting', () => {
  it('measures a rejoin from the drop, through failed dials and backoff', async () => {
    let dials = 0;
    const healthy = healthyServer();
    const sim = new K6Sim({
      dial(ws, s) {
        dials++;
        // The first session is dropped by the network; the next two dials fail.
        if (dials === 2 || dials === 3) return s.refuse(ws);
        healthy.dial(ws, s);
        if (dials === 1) s.serverClose(ws, 1006, 5_000);
      },
      message: (ws, msg, s) => healthy.message?.(ws, msg, s),
    });
    sim.scenario = { name: 'jittered', startTime: sim.now };
    const mod = await vu('reconnect-storm.js', sim);
    // The storm's own drop is off: the server drops the session.
    sim.env.DROP_AT_S = '0';
    const run = mod.jittered as Fn;
    sim.iterate(run, { runId: 'r1' });
    const droppedAt = sim.now;
    const before = sim.sleeps.length;
    sim.iterate(run, { runId: 'r1' }); // refused
    sim.iterate(run, { runId: 'r1' }); // refused
    sim.iterate(run, { runId: 'r1' }, sim.now + 60_000); // joins
    expect(dials).toBe(4);
    const rejoin = sim.values('roar_rejoin_time');
    expect(rejoin).toHaveLength(1);
    // Everything between the drop and the join: three backoff sleeps and the dials themselves.
    const waited = sim.sleeps.slice(before).reduce((a, b) => a + b, 0);
    expect(rejoin[0]).toBeGreaterThanOrEqual(waited);
    expect(rejoin[0]).toBeGreaterThan(0);
    const joinedAt = droppedAt + (rejoin[0] as number);
    expect(joinedAt).toBeLessThanOrEqual(sim.now);
  });

  it('stops dialling after a do-not-reconnect close (a wrong secret), as the SDK does', async () => {
    for (const [script, exec] of [
      ['steady-chat.js', 'chatter'],
      ['wicket-spike.js', 'crowd'],
      ['toss.js', 'viewer'],
    ] as const) {
      let dials = 0;
      const sim = new K6Sim(
        {
          dial(ws, s) {
            dials++;
            s.open(ws);
            s.send(ws, { type: 'error', code: 'token_invalid', message: 'bad signature' });
            s.serverClose(ws, 4501, 2);
          },
        },
        { ...SECRET, DURATION: '1m', CHAT_FRACTION: '1' },
      );
      const mod = await vu(script, sim);
      const iterations = runScenario(sim, mod[exec] as Fn, sim.now + 60_000, 1000);
      expect(dials, script).toBe(1);
      expect(iterations, script).toBeLessThan(5);
      expect(sim.values('roar_connect_errors'), script).toEqual([1]);
    }
  });

  it('waits the server’s reconnect hint plus its backoff before dialling again', async () => {
    const dialledAt: number[] = [];
    let closedAt = 0;
    const healthy = healthyServer();
    const sim = new K6Sim(
      {
        dial(ws, s) {
          dialledAt.push(s.now);
          healthy.dial(ws, s);
          if (dialledAt.length === 1) {
            // A drain: the hint, then 4000.
            s.send(ws, { type: 'reconnect', delayMs: 7000 }, 9_000);
            s.later(9_001, () => {
              closedAt = s.now;
              s.closeNow(ws, 4000);
            });
          }
        },
        message: (ws, msg, s) => healthy.message?.(ws, msg, s),
      },
      { ...SECRET, DURATION: '2m' },
    );
    const mod = await vu('steady-chat.js', sim);
    sim.iterate(mod.watcher as Fn, { runId: 'r1' }, sim.now + 20_000);
    sim.iterate(mod.watcher as Fn, { runId: 'r1' }, sim.now + 1_000);
    expect(dialledAt).toHaveLength(2);
    const waited = (dialledAt[1] as number) - closedAt;
    expect(waited).toBeGreaterThanOrEqual(7000);
    // Plus a jittered backoff under ROAR_BACKOFF_BASE_MS (1 s) for a first retry.
    expect(waited).toBeLessThan(8000);
    // A drain's 4000 is an expected close.
    expect(sim.values('roar_unexpected_close')).toEqual([0]);
  });
});

describe('k6 scenarios: ending', () => {
  it('end sessions before k6 stops the VU, so each leaves an unexpected-close sample', async () => {
    const server = healthyServer();
    const sim = new K6Sim(server, { ...SECRET, DURATION: '1m', RAMP_S: '10' });
    const mod = await vu('steady-chat.js', sim);
    sim.scenario = { name: 'chatters', startTime: sim.now };
    const end = sim.now + 60_000;
    runScenario(sim, mod.chatter as Fn, end, 100);
    expect(sim.values('roar_unexpected_close')).toEqual([0]);
    expect(sim.values('roar_samples', { metric: 'roar_unexpected_close' })).toEqual([1]);
    // No chat after the session's end: nothing is sent through gracefulStop.
    const socket = sim.sockets[0] as FakeSocket;
    expect(sim.sockets).toHaveLength(1);
    expect(socket.readyState).toBe(3);
    expect(sim.pendingTimers).toBe(0);
    expect(server.chats.length).toBeGreaterThan(20);
  });

  it('reconnect-storm sleeps out the end of a scenario instead of spinning', async () => {
    const sim = new K6Sim(healthyServer(), { RAMP_S: '5', DROP_AT_S: '10', PHASE_S: '25' });
    sim.scenario = { name: 'herd', startTime: sim.now };
    const mod = await vu('reconnect-storm.js', sim);
    // k6 notices a scenario's end a moment late: an iteration that returns right at the end may
    // be followed by more (the old script slept 0 s in each, thousands of times).
    const iterations = runScenario(sim, mod.herd as Fn, sim.now + 25_000 + 200, 1000);
    // Connect, drop, reconnect, then one iteration that sleeps past the scenario's end.
    expect(iterations).toBeLessThanOrEqual(3);
    expect(sim.sockets).toHaveLength(2);
    expect(sim.values('roar_rejoin_time')).toHaveLength(1);
  });
});
