// Steady chat: RATE messages/s from signed-in users into one stream watched by WATCHERS
// connections, for DURATION. The number to read is roar_delivery_latency: how long a message takes
// from the gateway accepting it to a watcher's socket, at a load that does not change.
//
//   k6 run -e ROAR_URL=ws://127.0.0.1:8080/ws -e ROAR_JWT_SECRET=... -e RATE=50 \
//     -e WATCHERS=2000 loadtest/k6/steady-chat.js
//
// Env: RATE (20 msg/s), WATCHERS (1000), DURATION (5m), RAMP_S (30: watchers join over this long,
// chat starts after), PER_USER_RATE (0.5 msg/s per chatter; chatters = ceil(RATE / PER_USER_RATE)),
// plus the ROAR_* variables in README.md. A one-minute run: -e RAMP_S=15 -e DURATION=40s.
//
// Why not constant-arrival-rate: each k6 iteration would open a new connection to send one message,
// which measures connection churn. Chatters instead hold one connection each and send on a fixed
// interval from a random phase, which adds up to a constant RATE.
/* global __ENV */
import {
  beforeSession,
  connect,
  durationS,
  envNumber,
  sessionDeadline,
  setupRun,
  withSampleGuards,
} from './lib/roar.js';

const RATE = envNumber('RATE', 20, 0.01);
const WATCHERS = envNumber('WATCHERS', 1000, 1);
const DURATION = __ENV.DURATION || '5m';
const DURATION_S = durationS('DURATION', DURATION);
const RAMP_S = envNumber('RAMP_S', 30, 1);
// Under the default limit of 1 chat/s per user, so rate_limited replies mean a misconfigured run.
const PER_USER_RATE = envNumber('PER_USER_RATE', 0.5, 0.01);
const CHATTERS = Math.ceil(RATE / PER_USER_RATE);
const INTERVAL_MS = (1000 * CHATTERS) / RATE;
// Watchers stay 10 s after the last chat, so its delivery is measured.
const WATCH_S = RAMP_S + DURATION_S + 10;
if (DURATION_S < 10) throw new Error('DURATION must be at least 10s');

export const options = {
  scenarios: {
    watchers: {
      executor: 'ramping-vus',
      exec: 'watcher',
      startVUs: 0,
      // Joins spread over RAMP_S, and chat starts after them, so latency is measured at steady
      // state. No ramp-down stage: sessions end themselves before the scenario does.
      stages: [
        { duration: `${RAMP_S}s`, target: WATCHERS },
        { duration: `${WATCH_S - RAMP_S}s`, target: WATCHERS },
      ],
      gracefulRampDown: '0s',
      gracefulStop: '5s',
    },
    chatters: {
      executor: 'constant-vus',
      exec: 'chatter',
      vus: CHATTERS,
      startTime: `${RAMP_S}s`,
      duration: `${DURATION_S}s`,
      gracefulStop: '5s',
    },
  },
  thresholds: withSampleGuards({
    roar_delivery_latency: ['p(95)<150', 'p(99)<300'],
    // Messages were actually delivered, not just sent.
    roar_chat_delivered: ['count>0'],
    roar_chat_failed: ['rate<0.01'],
    roar_join_time: ['p(95)<500'],
    roar_connect_errors: ['rate<0.01'],
    roar_unexpected_close: ['rate<0.01'],
  }),
};

export function setup() {
  return setupRun({ chat: true });
}

export function watcher(data) {
  const until = sessionDeadline(WATCH_S);
  if (!beforeSession(until)) return;
  connect({ runId: data.runId, until });
}

export function chatter(data) {
  const until = sessionDeadline(DURATION_S);
  if (!beforeSession(until)) return;
  connect({
    runId: data.runId,
    signedIn: true,
    until,
    onJoined: (s) => {
      const say = () => s.chat(`steady ${s.vu}`);
      s.after(Math.random() * INTERVAL_MS, () => {
        say();
        s.every(INTERVAL_MS, say);
      });
    },
  });
}
