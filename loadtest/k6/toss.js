// The toss: the match starts and viewers arrive all at once. Ramps 0 → TARGET connections over
// RAMP_S, holds for HOLD_S, then viewers leave over another RAMP_S. Most viewers are anonymous
// watchers; a CHAT_FRACTION of them are signed in and chat and react. An overlay scenario polls
// the HTTP viewer count the way every player page does.
//
//   k6 run -e ROAR_URL=ws://127.0.0.1:8080/ws -e ROAR_JWT_SECRET=... -e TARGET=10000 \
//     loadtest/k6/toss.js
//
// Env: TARGET (10000), RAMP_S (60), HOLD_S (180), CHAT_FRACTION (0.02), CHAT_EVERY_S (10, per
// chatter), OVERLAY_RATE (20 GET/s, 0 = off), plus the ROAR_* variables in README.md. The run lasts
// 2·RAMP_S + HOLD_S: a one-minute run is -e RAMP_S=20 -e HOLD_S=20.
//
// Viewers leave on their own, each at a random moment of the last RAMP_S, rather than being
// stopped by a ramp-down stage: k6 runs no close listener for a VU it stops, and warns about its
// timers, so a stopped viewer would leave neither a sample nor a clean close.
import exec from 'k6/execution';
import {
  END_MARGIN_MS,
  beforeSession,
  connect,
  envNumber,
  fetchViewers,
  sessionDeadline,
  setupRun,
  withSampleGuards,
} from './lib/roar.js';

const TARGET = envNumber('TARGET', 10000, 1);
const RAMP_S = envNumber('RAMP_S', 60, 10);
const HOLD_S = envNumber('HOLD_S', 180, 0);
const CHAT_FRACTION = envNumber('CHAT_FRACTION', 0.02, 0, 1);
// Rate limit is 1 chat/s per user by default: keep chatters well under it so rejections mean a
// server problem, not the test outrunning its own limit.
const CHAT_EVERY_S = envNumber('CHAT_EVERY_S', 10, 1.1);
const OVERLAY_RATE = envNumber('OVERLAY_RATE', 20, 0);
const TOTAL_S = 2 * RAMP_S + HOLD_S;

const scenarios = {
  viewers: {
    executor: 'ramping-vus',
    exec: 'viewer',
    startVUs: 0,
    stages: [
      { duration: `${RAMP_S}s`, target: TARGET },
      // The last RAMP_S keeps the VUs: the viewers leave by themselves (see the header).
      { duration: `${HOLD_S + RAMP_S}s`, target: TARGET },
    ],
    gracefulRampDown: '0s',
    gracefulStop: '5s',
  },
};
if (OVERLAY_RATE > 0) {
  scenarios.overlay = {
    executor: 'constant-arrival-rate',
    exec: 'overlay',
    rate: OVERLAY_RATE,
    timeUnit: '1s',
    duration: `${TOTAL_S}s`,
    preAllocatedVUs: 5,
    maxVUs: 50,
  };
}

const thresholds = {
  roar_delivery_latency: ['p(95)<250', 'p(99)<500'],
  roar_join_time: ['p(95)<1000'],
  roar_connect_errors: [
    'rate<0.01',
    // A run where a fifth of viewers cannot get in measures nothing else: stop it early.
    { threshold: 'rate<0.2', abortOnFail: true, delayAbortEval: `${Math.min(30, RAMP_S)}s` },
  ],
  roar_unexpected_close: ['rate<0.01'],
};
if (CHAT_FRACTION > 0) {
  thresholds.roar_chat_failed = ['rate<0.01'];
  thresholds.roar_chat_delivered = ['count>0'];
} else {
  // Without chatters nothing is delivered, so there is no latency to hold to a limit.
  delete thresholds.roar_delivery_latency;
}
if (OVERLAY_RATE > 0) {
  thresholds['http_req_failed{scenario:overlay}'] = ['rate<0.01'];
  thresholds['http_req_duration{scenario:overlay}'] = ['p(95)<100'];
  thresholds['http_reqs{scenario:overlay}'] = ['count>0'];
}

export const options = { scenarios, thresholds: withSampleGuards(thresholds) };

export function setup() {
  return setupRun({ chat: CHAT_FRACTION > 0 });
}

const chatterEvery = CHAT_FRACTION > 0 ? Math.max(1, Math.round(1 / CHAT_FRACTION)) : 0;
// Per VU: when this viewer leaves, drawn once.
let leaveAt;

export function viewer(data) {
  const end = sessionDeadline(TOTAL_S);
  if (leaveAt === undefined) {
    const rampDownAt = exec.scenario.startTime + (RAMP_S + HOLD_S) * 1000;
    leaveAt = Math.min(end, rampDownAt + Math.random() * RAMP_S * 1000);
  }
  // Until it leaves, a viewer the server dropped comes back the way a real client would.
  if (!beforeSession(leaveAt, true, end + END_MARGIN_MS)) return;
  const chatter = chatterEvery > 0 && exec.vu.idInTest % chatterEvery === 0;
  connect({
    runId: data.runId,
    signedIn: chatter,
    until: leaveAt,
    onJoined: chatter
      ? (s) => {
          s.randomly(1 / CHAT_EVERY_S, () => s.chat(`toss! from ${s.vu}`));
          s.randomly(0.5, () => s.react());
        }
      : undefined,
  });
}

export function overlay() {
  fetchViewers();
}
