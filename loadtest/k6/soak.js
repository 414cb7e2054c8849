// Soak: hours of moderate load, looking for what only time shows: memory or queue growth that makes
// latency creep, slow leaks of connections, errors that appear after the first hour. Viewers come
// and go (sessions of SESSION_MIN_S..SESSION_MAX_S), so joins, leaves and token checks keep
// happening all the way through, as on a real match day.
//
//   k6 run -e ROAR_URL=ws://127.0.0.1:8080/ws -e ROAR_JWT_SECRET=... -e DURATION=4h \
//     loadtest/k6/soak.js
//
// Env: DURATION (2h; 1m for a quick check, with SESSION_MIN_S=10 SESSION_MAX_S=20), WATCHERS (1000), CHATTERS (50), CHAT_EVERY_S (5, per chatter), SESSION_MIN_S
// (300), SESSION_MAX_S (1200), OVERLAY_RATE (5 GET/s, 0 = off), plus the ROAR_* variables in
// README.md. For runs of many hours lower ROAR_LATENCY_SAMPLE (e.g. 0.02): a Trend keeps every
// sample in the generator's memory.
//
// Latency creep: delivery latency is tagged early / middle / late (thirds of the run) and each
// third gets a threshold, so the summary prints them side by side. A late p95 well above the early
// one fails nothing by itself but is the finding this test exists for.
/* global __ENV */
import { sleep } from 'k6';
import exec from 'k6/execution';
import {
  beforeSession,
  connect,
  durationS,
  envNumber,
  fetchViewers,
  sessionDeadline,
  setupRun,
  withSampleGuards,
} from './lib/roar.js';

const DURATION = __ENV.DURATION || '2h';
const DURATION_S = durationS('DURATION', DURATION);
const WATCHERS = envNumber('WATCHERS', 1000, 1);
const CHATTERS = envNumber('CHATTERS', 50, 0);
const CHAT_EVERY_S = envNumber('CHAT_EVERY_S', 5, 1.1);
const SESSION_MIN_S = envNumber('SESSION_MIN_S', 300, 10);
const SESSION_MAX_S = envNumber('SESSION_MAX_S', 1200, SESSION_MIN_S);
const OVERLAY_RATE = envNumber('OVERLAY_RATE', 5, 0);

const steady = (execName, vus) => ({
  executor: 'constant-vus',
  exec: execName,
  vus,
  duration: `${DURATION_S}s`,
  gracefulStop: '10s',
});
const scenarios = { watchers: steady('watcher', WATCHERS) };
if (CHATTERS > 0) scenarios.chatters = steady('chatter', CHATTERS);
if (OVERLAY_RATE > 0) {
  scenarios.overlay = {
    executor: 'constant-arrival-rate',
    exec: 'overlay',
    rate: OVERLAY_RATE,
    timeUnit: '1s',
    duration: `${DURATION_S}s`,
    preAllocatedVUs: 2,
    maxVUs: 20,
  };
}

const thresholds = {
  'roar_delivery_latency{phase:early}': ['p(95)<250'],
  'roar_delivery_latency{phase:middle}': ['p(95)<250'],
  'roar_delivery_latency{phase:late}': ['p(95)<250', 'p(99)<500'],
  roar_chat_failed: ['rate<0.01'],
  roar_join_time: ['p(95)<500'],
  // Over hours these are counted in thousands of joins: hold them to a tighter rate than a burst.
  roar_connect_errors: ['rate<0.001'],
  roar_unexpected_close: ['rate<0.001'],
  checks: ['rate>0.99'],
};
// Latency, chat failures and deliveries exist only with chatters.
if (CHATTERS > 0) {
  thresholds.roar_chat_delivered = ['count>0'];
} else {
  for (const phase of ['early', 'middle', 'late'])
    delete thresholds[`roar_delivery_latency{phase:${phase}}`];
  delete thresholds.roar_chat_failed;
}
if (OVERLAY_RATE === 0) delete thresholds.checks;

export const options = { scenarios, thresholds: withSampleGuards(thresholds) };

export function setup() {
  return setupRun({ chat: CHATTERS > 0 });
}

function phaseTags() {
  const p = exec.scenario.progress;
  return { phase: p < 1 / 3 ? 'early' : p < 2 / 3 ? 'middle' : 'late' };
}

function sessionMs() {
  return 1000 * (SESSION_MIN_S + Math.random() * (SESSION_MAX_S - SESSION_MIN_S));
}

// Before connecting, never after: sleep() blocks the VU's event loop, socket included. The first
// joins spread over 30 s; later a few seconds pass between one viewer leaving and the next arriving.
// A session the server ended instead backs off like a real client. False when the VU is done.
// The last session of each VU ends before the scenario does (`until`), so it closes cleanly.
function arrive(until) {
  if (Date.now() < until)
    sleep(
      Math.min(
        Math.random() * (exec.vu.iterationInScenario === 0 ? 30 : 5),
        (until - Date.now()) / 1000,
      ),
    );
  return beforeSession(until);
}

export function watcher(data) {
  const until = sessionDeadline(DURATION_S);
  if (!arrive(until)) return;
  connect({ runId: data.runId, holdMs: sessionMs(), until, latencyTags: phaseTags });
}

export function chatter(data) {
  const until = sessionDeadline(DURATION_S);
  if (!arrive(until)) return;
  connect({
    runId: data.runId,
    signedIn: true,
    holdMs: sessionMs(),
    until,
    latencyTags: phaseTags,
    onJoined: (s) => {
      // The lib appends a run id and this VU's running count: no text repeats across sessions.
      s.randomly(1 / CHAT_EVERY_S, () => s.chat(`soak ${s.vu}`));
      s.randomly(0.2, () => s.react());
    },
  });
}

export function overlay() {
  fetchViewers();
}
