// The toss: the match starts and viewers arrive all at once. Ramps 0 → TARGET connections in one
// minute, holds for HOLD_S, then ramps down in a minute. Most viewers are anonymous watchers; a
// CHAT_FRACTION of them are signed in and chat and react. An overlay scenario polls the HTTP
// viewer count the way every player page does.
//
//   k6 run -e ROAR_URL=ws://127.0.0.1:8080/ws -e ROAR_JWT_SECRET=... -e TARGET=10000 \
//     loadtest/k6/toss.js
//
// Env: TARGET (10000), HOLD_S (180), CHAT_FRACTION (0.02), CHAT_EVERY_S (10, per chatter),
// OVERLAY_RATE (20 GET/s, 0 = off), plus the ROAR_* variables in README.md.
import exec from 'k6/execution';
import { connect, envNumber, fetchViewers, pauseBeforeReconnect, setupRun } from './lib/roar.js';

const TARGET = envNumber('TARGET', 10000, 1);
const HOLD_S = envNumber('HOLD_S', 180, 0);
const CHAT_FRACTION = envNumber('CHAT_FRACTION', 0.02, 0, 1);
// Rate limit is 1 chat/s per user by default: keep chatters well under it so rejections mean a
// server problem, not the test outrunning its own limit.
const CHAT_EVERY_S = envNumber('CHAT_EVERY_S', 10, 1.1);
const OVERLAY_RATE = envNumber('OVERLAY_RATE', 20, 0);

const scenarios = {
  viewers: {
    executor: 'ramping-vus',
    exec: 'viewer',
    startVUs: 0,
    stages: [
      { duration: '1m', target: TARGET },
      { duration: `${HOLD_S}s`, target: TARGET },
      { duration: '1m', target: 0 },
    ],
    // Viewers leave when the count drops; waiting for them to "finish" would hold the room full.
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
    duration: `${120 + HOLD_S}s`,
    preAllocatedVUs: 5,
    maxVUs: 50,
  };
}

export const options = {
  scenarios,
  thresholds: {
    roar_delivery_latency: ['p(95)<250', 'p(99)<500'],
    roar_join_time: ['p(95)<1000'],
    roar_connect_errors: [
      'rate<0.01',
      // A run where a fifth of viewers cannot get in measures nothing else: stop it early.
      { threshold: 'rate<0.2', abortOnFail: true, delayAbortEval: '30s' },
    ],
    roar_unexpected_close: ['rate<0.01'],
    roar_chat_failed: ['rate<0.01'],
    'http_req_failed{scenario:overlay}': ['rate<0.01'],
    'http_req_duration{scenario:overlay}': ['p(95)<100'],
  },
};

export function setup() {
  return setupRun({ chat: CHAT_FRACTION > 0 });
}

const chatterEvery = CHAT_FRACTION > 0 ? Math.max(1, Math.round(1 / CHAT_FRACTION)) : 0;

export function viewer(data) {
  // Only a server close brings a VU back here mid-stage; come back the way a real client would.
  pauseBeforeReconnect(true);
  const chatter = chatterEvery > 0 && exec.vu.idInTest % chatterEvery === 0;
  connect({
    runId: data.runId,
    signedIn: chatter,
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
