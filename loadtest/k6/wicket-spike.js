// A wicket: steady baseline, then for SPIKE_S seconds everyone already watching reacts and chats 20×
// as much, then it calms down. Watch roar_delivery_latency by phase, roar_chat_delivered against
// roar_chat_acks (the gateway samples chat nobody can read at that speed) and the error counters.
//
//   k6 run -e ROAR_URL=ws://127.0.0.1:8080/ws -e ROAR_JWT_SECRET=... -e WATCHERS=5000 \
//     loadtest/k6/wicket-spike.js
//
// Env: WATCHERS (2000, anonymous), CROWD (200, signed in: they chat and react), CHAT_RATE (8 msg/s
// total at baseline), REACT_RATE (40/s total at baseline), SPIKE_AT_S (120), SPIKE_S (30),
// AFTER_S (90), MULTIPLIER (20), plus the ROAR_* variables in README.md.
//
// The spike is a rate change inside connections that are already open, driven by one clock that all
// VUs read, rather than a second scenario of new VUs: at a wicket the people already watching start
// typing; adding connections would test a join herd as well (toss.js and reconnect-storm.js do).
// Reactions come from signed-in users because the gateway refuses anonymous ones by default
// (ROAR_ANONYMOUS_REACTIONS=false).
import exec from 'k6/execution';
import { connect, envNumber, setupRun } from './lib/roar.js';

const WATCHERS = envNumber('WATCHERS', 2000, 0);
const CROWD = envNumber('CROWD', 200, 1);
const CHAT_RATE = envNumber('CHAT_RATE', 8, 0);
const REACT_RATE = envNumber('REACT_RATE', 40, 0);
const SPIKE_AT_S = envNumber('SPIKE_AT_S', 120, 30);
const SPIKE_S = envNumber('SPIKE_S', 30, 1);
const AFTER_S = envNumber('AFTER_S', 90, 0);
const MULTIPLIER = envNumber('MULTIPLIER', 20, 1);
const TOTAL_S = SPIKE_AT_S + SPIKE_S + AFTER_S;

// Per-user peaks must stay under the gateway's per-user limits (1 chat/s, 5 reactions/s by
// default) or the spike measures the rate limiter instead of fanout.
if ((CHAT_RATE / CROWD) * MULTIPLIER > 1 || (REACT_RATE / CROWD) * MULTIPLIER > 5) {
  console.warn('peak per-user rates exceed the default limits: raise CROWD or lower the rates');
}

function phase() {
  const s = exec.instance.currentTestRunDuration / 1000;
  if (s < SPIKE_AT_S) return 'baseline';
  return s < SPIKE_AT_S + SPIKE_S ? 'spike' : 'after';
}
const factor = () => (phase() === 'spike' ? MULTIPLIER : 1);
const phaseTags = () => ({ phase: phase() });

const scenarios = {
  crowd: {
    executor: 'constant-vus',
    exec: 'crowd',
    vus: CROWD,
    duration: `${TOTAL_S}s`,
    gracefulStop: '5s',
  },
};
if (WATCHERS > 0) {
  scenarios.watchers = {
    executor: 'ramping-vus',
    exec: 'watcher',
    startVUs: 0,
    stages: [
      { duration: '30s', target: WATCHERS },
      { duration: `${TOTAL_S - 30}s`, target: WATCHERS },
    ],
    gracefulRampDown: '0s',
    gracefulStop: '5s',
  };
}

export const options = {
  scenarios,
  thresholds: {
    // Listing each phase also makes k6 print it separately in the end-of-test summary.
    'roar_delivery_latency{phase:baseline}': ['p(95)<250'],
    'roar_delivery_latency{phase:spike}': ['p(95)<500'],
    'roar_delivery_latency{phase:after}': ['p(95)<250'],
    roar_chat_delivered: ['count>0'],
    // Near the per-user limit some chats are refused as rate_limited; roar_chat_failed leaves
    // those out, so this still means "the gateway failed to take chat".
    roar_chat_failed: ['rate<0.01'],
    roar_connect_errors: ['rate<0.01'],
    roar_unexpected_close: ['rate<0.01'],
    roar_join_time: ['p(95)<1000'],
  },
};

export function setup() {
  return setupRun({ chat: true });
}

export function watcher(data) {
  connect({ runId: data.runId, latencyTags: phaseTags });
}

export function crowd(data) {
  connect({
    runId: data.runId,
    signedIn: true,
    latencyTags: phaseTags,
    onJoined: (s) => {
      s.randomly(
        () => (CHAT_RATE / CROWD) * factor(),
        () => s.chat(`what a ball! (${s.vu})`),
      );
      s.randomly(
        () => (REACT_RATE / CROWD) * factor(),
        () => s.react(),
      );
    },
  });
}
