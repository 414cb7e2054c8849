// Reconnect storm: VUS viewers connect (spread over RAMP_S), then at DROP_AT_S every connection drops
// at the same instant and reconnects. Run twice in a row to show the difference:
//   herd      first retry immediately, later ones after exactly base·2^n: everyone in lockstep;
//   jittered  full jitter, a random wait in [0, min(cap, base·2^n)]: what Roar clients must do.
// Compare the {scenario:herd} and {scenario:jittered} rows of roar_join_time (how hard the herd hits
// the gateway), roar_rejoin_time (drop to joined again, backoff included) and roar_connect_errors.
//
//   k6 run -e ROAR_URL=ws://127.0.0.1:8080/ws -e VUS=5000 loadtest/k6/reconnect-storm.js
//
// Env: VUS (2000), RAMP_S (30), DROP_AT_S (60; 0 = no client-side drop), PHASE_S (150 per variant),
// ROAR_BACKOFF_BASE_MS (1000) and ROAR_BACKOFF_CAP_MS (30000), plus the ROAR_* variables in
// README.md. With DROP_AT_S=0, restart a gateway during the run instead: its drain sends
// `reconnect {delayMs}` then 4000, and every VU waits that hint plus its backoff, as the SDK does,
// so the storm is the server's, not k6's (roar_rejoin_time then needs that restart to have
// samples, and fails without it). A one-minute run: -e RAMP_S=5 -e DROP_AT_S=10 -e PHASE_S=25.
import { sleep } from 'k6';
import exec from 'k6/execution';
import {
  beforeSession,
  connect,
  envNumber,
  sessionDeadline,
  setupRun,
  withSampleGuards,
} from './lib/roar.js';

const VUS = envNumber('VUS', 2000, 1);
const RAMP_S = envNumber('RAMP_S', 30, 0);
const DROP_AT_S = envNumber('DROP_AT_S', 60, 0);
const PHASE_S = envNumber('PHASE_S', 150, 10);
// Between the two variants, so the gateway is back to idle before the second storm.
const GAP_S = envNumber('GAP_S', 15, 0);
if (DROP_AT_S > 0 && DROP_AT_S <= RAMP_S) {
  throw new Error('DROP_AT_S must come after RAMP_S, once everyone is connected');
}
if (DROP_AT_S > 0 && DROP_AT_S + 5 >= PHASE_S) {
  throw new Error('PHASE_S must leave at least 5 s after DROP_AT_S for the rejoins');
}

const variant = (name, startS) => ({
  executor: 'constant-vus',
  exec: name,
  vus: VUS,
  duration: `${PHASE_S}s`,
  startTime: `${startS}s`,
  gracefulStop: '5s',
});

export const options = {
  scenarios: {
    herd: variant('herd', 0),
    jittered: variant('jittered', PHASE_S + GAP_S),
  },
  // The herd is expected to hurt; the limits say it must still not break the gateway, and that
  // jitter must make the same drop unremarkable.
  thresholds: withSampleGuards({
    'roar_join_time{scenario:herd}': ['p(95)<5000'],
    'roar_join_time{scenario:jittered}': ['p(95)<1000'],
    'roar_rejoin_time{scenario:herd}': ['p(95)<10000'],
    'roar_rejoin_time{scenario:jittered}': ['p(95)<5000'],
    'roar_connect_errors{scenario:herd}': ['rate<0.05'],
    'roar_connect_errors{scenario:jittered}': ['rate<0.01'],
    // Our own drops are planned leaves; anything else closing connections is a finding.
    roar_unexpected_close: ['rate<0.01'],
  }),
};

export function setup() {
  return setupRun();
}

// VUs are reused from one scenario to the next: remember where this one already connected.
let connectedIn = '';

function storm(data, jitter) {
  const name = exec.scenario.name;
  const start = exec.scenario.startTime;
  const dropAt = start + DROP_AT_S * 1000;
  // Sessions end before the scenario does, so k6 does not cut them (no close sample, timers
  // pending); once past it, the VU sleeps out the scenario instead of iterating empty.
  const endAt = sessionDeadline(PHASE_S);
  if (connectedIn !== name) {
    connectedIn = name;
    // The first connects are spread out: the storm under test is the drop, not the start.
    sleep(Math.random() * RAMP_S);
  }
  if (!beforeSession(endAt, jitter)) return;
  const beforeDrop = DROP_AT_S > 0 && Date.now() < dropAt;
  connect({ runId: data.runId, until: beforeDrop ? dropAt : endAt, drop: beforeDrop });
}

export function herd(data) {
  storm(data, false);
}

export function jittered(data) {
  storm(data, true);
}
