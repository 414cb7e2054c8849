// Steady chat: RATE messages/s from signed-in users into one stream watched by WATCHERS
// connections, for DURATION. The number to read is roar_delivery_latency: how long a message takes
// from the gateway accepting it to a watcher's socket, at a load that does not change.
//
//   k6 run -e ROAR_URL=ws://127.0.0.1:8080/ws -e ROAR_JWT_SECRET=... -e RATE=50 \
//     -e WATCHERS=2000 loadtest/k6/steady-chat.js
//
// Env: RATE (20 msg/s), WATCHERS (1000), DURATION (5m), PER_USER_RATE (0.5 msg/s per chatter;
// chatters = ceil(RATE / PER_USER_RATE)), plus the ROAR_* variables in README.md.
//
// Why not constant-arrival-rate: each k6 iteration would open a new connection to send one message,
// which measures connection churn. Chatters instead hold one connection each and send on a fixed
// interval from a random phase, which adds up to a constant RATE.
/* global __ENV */
import { connect, envNumber, setupRun } from './lib/roar.js';

const RATE = envNumber('RATE', 20, 0.01);
const WATCHERS = envNumber('WATCHERS', 1000, 1);
const DURATION = __ENV.DURATION || '5m';
// Under the default limit of 1 chat/s per user, so rate_limited replies mean a misconfigured run.
const PER_USER_RATE = envNumber('PER_USER_RATE', 0.5, 0.01);
const CHATTERS = Math.ceil(RATE / PER_USER_RATE);
const INTERVAL_MS = (1000 * CHATTERS) / RATE;

export const options = {
  scenarios: {
    watchers: {
      executor: 'ramping-vus',
      exec: 'watcher',
      startVUs: 0,
      // Joins spread over 30 s, and chat starts after them, so latency is measured at steady state.
      stages: [
        { duration: '30s', target: WATCHERS },
        { duration: DURATION, target: WATCHERS },
        { duration: '10s', target: WATCHERS },
      ],
      gracefulRampDown: '0s',
      gracefulStop: '5s',
    },
    chatters: {
      executor: 'constant-vus',
      exec: 'chatter',
      vus: CHATTERS,
      startTime: '30s',
      duration: DURATION,
      gracefulStop: '5s',
    },
  },
  thresholds: {
    roar_delivery_latency: ['p(95)<150', 'p(99)<300'],
    // An empty Trend passes every threshold: make sure messages were actually delivered.
    roar_chat_delivered: ['count>0'],
    roar_chat_failed: ['rate<0.01'],
    roar_join_time: ['p(95)<500'],
    roar_connect_errors: ['rate<0.01'],
    roar_unexpected_close: ['rate<0.01'],
  },
};

export function setup() {
  return setupRun({ chat: true });
}

export function watcher(data) {
  connect({ runId: data.runId });
}

export function chatter(data) {
  let n = 0;
  connect({
    runId: data.runId,
    signedIn: true,
    onJoined: (s) => {
      const say = () => s.chat(`steady ${s.vu} #${++n}`);
      s.after(Math.random() * INTERVAL_MS, () => {
        say();
        s.every(INTERVAL_MS, say);
      });
    },
  });
}
