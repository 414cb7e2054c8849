// Shared pieces of the Roar k6 scenarios: configuration from the environment, identities (anonymous
// ids or HS256 tokens minted here), one WebSocket session that joins a stream, and the metrics.
// Plain ES2020 for k6's runtime: no Node APIs, no TypeScript, no top-level await.
/* global __ENV */
import { check, sleep } from 'k6';
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Rate, Trend } from 'k6/metrics';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'k6/timers';
// Older k6 releases have this module only as 'k6/experimental/websockets' (same API; it graduated
// in grafana/k6#5579): change this one import to run on them.
import { WebSocket } from 'k6/websockets';

// JSON only: msgpack would need a decoder k6 does not ship. The gateway encodes each tick once per
// codec either way, so fanout work is comparable; JSON frames are somewhat larger on the wire.
const SUBPROTOCOL = 'roar.v1.json';
// Server close codes after which a client is expected to come back (close-codes.ts); everything
// else, closes that Roar never sends on purpose (1006, 1011...) included, counts as unexpected.
const EXPECTED_CLOSES = [1000, 1001, 4000];
// After we decide to leave, in-flight chats get this long to be acked before the socket closes, so
// a planned leave does not show up as lost messages.
const DRAIN_MS = 1000;
// Sessions end themselves this long before their scenario does: k6 runs no close listener (and
// warns about pending timers) for a VU it stops, so a session cut by k6 leaves no sample and a
// chatter cut by k6 would still be sending through gracefulStop.
export const END_MARGIN_MS = DRAIN_MS + 2000;
// A `reconnect {delayMs}` hint longer than this is a server bug, not a plan (the SDK's cap).
const MAX_RECONNECT_HINT_MS = 10 * 60000;
const TOKEN_EXPIRED = 4502;

/**
 * What a client does after the server closed with `code`: packages/protocol/src/close-codes.ts
 * (`shouldReconnect`), repeated here because k6 cannot import the workspace. 4000-4499 and the
 * network-ish standard codes reconnect; 4500-4999 and the others do not.
 */
export function shouldReconnect(code) {
  if (code >= 4000 && code < 4500) return true;
  if (code >= 4500 && code < 5000) return false;
  return [1001, 1005, 1006, 1011, 1012, 1013].indexOf(code) >= 0;
}

function env(name, fallback) {
  const value = __ENV[name];
  return value === undefined || value === '' ? fallback : value;
}

/** A number from the environment; a bad value stops the run with a message naming the variable. */
export function envNumber(name, fallback, min, max) {
  const raw = env(name, undefined);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min || (max !== undefined && value > max)) {
    throw new Error(
      `${name} must be a number in [${min}, ${max === undefined ? '∞' : max}], got "${raw}"`,
    );
  }
  return value;
}

function loadConfig() {
  const url = env('ROAR_URL', 'ws://127.0.0.1:8080/ws');
  const origin = /^(wss?):\/\/([^/?#]+)/.exec(url);
  if (!origin) throw new Error(`ROAR_URL must be a ws:// or wss:// URL, got "${url}"`);
  const stream = env('ROAR_STREAM', 'k6-load');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream)) {
    throw new Error(`ROAR_STREAM must be 1-64 of A-Z a-z 0-9 _ -, got "${stream}"`);
  }
  const jwtSecret = env('ROAR_JWT_SECRET', '');
  if (jwtSecret !== '' && jwtSecret.length < 32) {
    throw new Error('ROAR_JWT_SECRET must be at least 32 characters, as the gateway requires');
  }
  return {
    url,
    http: env('ROAR_HTTP', `${origin[1] === 'wss' ? 'https' : 'http'}://${origin[2]}`),
    stream,
    jwtSecret,
    jwtIssuer: env('ROAR_JWT_ISSUER', ''),
    jwtAudience: env('ROAR_JWT_AUDIENCE', ''),
    // Every chat event reaches every watcher, and a Trend keeps each sample in memory: recording
    // on all VUs would make the load generator, not Roar, the bottleneck of a long run.
    latencySample: envNumber('ROAR_LATENCY_SAMPLE', 0.1, 0, 1),
    backoffBaseMs: envNumber('ROAR_BACKOFF_BASE_MS', 1000, 0),
    backoffCapMs: envNumber('ROAR_BACKOFF_CAP_MS', 30000, 0),
    // A session that lasted this long resets the backoff (the SDK's resetAfterMs).
    backoffResetMs: envNumber('ROAR_BACKOFF_RESET_MS', 5000, 0),
  };
}

export const config = loadConfig();

// Delivery latency is receipt time on this machine minus the server's `ts`, so it includes any clock
// skew between the two hosts: run the generator near the gateways with NTP (or chrony) on both, and
// treat a negative or oddly flat p50 as a clock problem, not a fast server.
export const deliveryLatency = new Trend('roar_delivery_latency', true);
export const joinTime = new Trend('roar_join_time', true);
export const rejoinTime = new Trend('roar_rejoin_time', true);
export const chatAcks = new Counter('roar_chat_acks');
export const chatErrors = new Counter('roar_chat_errors');
// Chats the server did not take for a reason other than the sender's own rate limit: a limiter
// refusing a fast typist is Roar working (see roar_chat_errors{code:rate_limited} for those).
export const chatFailed = new Rate('roar_chat_failed');
export const chatDelivered = new Counter('roar_chat_delivered');
export const reactErrors = new Counter('roar_react_errors');
export const connectErrors = new Rate('roar_connect_errors');
export const unexpectedClose = new Rate('roar_unexpected_close');
// One count per sample of the Trends and Rates above, tagged `metric` plus the sample's own tags:
// a Rate with no samples has rate 0 and a Trend with none has no percentiles, so thresholds on
// them pass on "0 out of 0". `withSampleGuards` adds `count>0` on this for each such threshold.
export const samples = new Counter('roar_samples');

const GUARDED = [
  'roar_delivery_latency',
  'roar_join_time',
  'roar_rejoin_time',
  'roar_chat_failed',
  'roar_connect_errors',
  'roar_unexpected_close',
];

function record(metric, name, value, tags) {
  metric.add(value, tags);
  const t = { metric: name };
  if (tags) for (const k in tags) t[k] = tags[k];
  samples.add(1, t);
}

/**
 * The thresholds plus, for each one on a Trend or Rate of this module (tag selector included), a
 * `roar_samples{metric:<name>,<tags>}: count>0` guard, so a threshold that saw no sample fails
 * instead of passing.
 */
export function withSampleGuards(thresholds) {
  const out = {};
  for (const key of Object.keys(thresholds)) {
    out[key] = thresholds[key];
    const m = /^([a-z_]+)(?:\{(.*)\})?$/.exec(key);
    if (!m || GUARDED.indexOf(m[1]) < 0) continue;
    out[`roar_samples{metric:${m[1]}${m[2] ? `,${m[2]}` : ''}}`] = ['count>0'];
  }
  return out;
}

/**
 * A k6 duration ("90s", "5m", "1h30m", "2h") in seconds; a bad one stops the run naming `name`.
 * Scenarios need their length as a number to end their sessions before k6 stops them.
 */
export function durationS(name, text) {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(String(text));
  if (!m || String(text) === '')
    throw new Error(`${name} must be a duration like 90s, 5m or 1h30m, got "${text}"`);
  return Number(m[1] || 0) * 3600 + Number(m[2] || 0) * 60 + Number(m[3] || 0);
}

function b64url(text) {
  return encoding.b64encode(text, 'rawurl');
}

/** An HS256 JWT with the claims the gateway reads (sub, name, roles), signed with ROAR_JWT_SECRET. */
export function mintToken(sub, name, ttlS) {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub, name, roles: [], iat: now, exp: now + (ttlS || 3600) };
  if (config.jwtIssuer) claims.iss = config.jwtIssuer;
  if (config.jwtAudience) claims.aud = config.jwtAudience;
  const signingInput = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${signingInput}.${crypto.hmac('sha256', config.jwtSecret, signingInput, 'base64rawurl')}`;
}

/**
 * Checks the target answers and returns per-run data for every VU. The run id keeps anonymous ids
 * from repeating across runs, so the server's unique-viewer estimate sees new viewers each time.
 */
export function setupRun(needs) {
  const res = http.get(`${config.http}/healthz`, { tags: { name: 'healthz' } });
  if (res.status === 0) {
    throw new Error(
      `cannot reach ${config.http}/healthz (${res.error}): check ROAR_URL / ROAR_HTTP`,
    );
  }
  if (res.status !== 200) console.warn(`${config.http}/healthz answered ${res.status}`);
  if (needs && needs.chat && !config.jwtSecret) {
    console.warn(
      'ROAR_JWT_SECRET is not set: chatters connect anonymously, and the gateway refuses their ' +
        'chat (unauthenticated) unless it runs with ROAR_ANONYMOUS_CHAT=true',
    );
  }
  return { runId: Math.random().toString(36).slice(2, 8) };
}

/** GET /v1/streams/{id}/viewers, as the player overlay does. */
export function fetchViewers(stream) {
  const res = http.get(`${config.http}/v1/streams/${stream || config.stream}/viewers`, {
    tags: { name: 'viewers' },
  });
  let body = null;
  if (res.status === 200) {
    try {
      body = JSON.parse(res.body);
    } catch (_) {
      body = null; // counted by the check below
    }
  }
  check(res, {
    'viewers: 200': (r) => r.status === 200,
    'viewers: has a total': () => body !== null && typeof body.total === 'number',
  });
}

// Per VU (each VU has its own copy of this module): what the last session ended like, to decide
// whether the next connect is a reconnect and how long to back off first.
let lastSession = null;
let attempt = 0;
let lastChatId;
let notes = 0;
// When this VU's last joined session dropped, in the scenario named `dropScenario`: a rejoin is
// measured from here, however many dials fail in between.
let droppedAt;
let dropScenario = '';
// The scenario in which the server closed with a do-not-reconnect code: the VU stays away.
let toldToStay = '';
// Chat sent by this VU over all its sessions: each text is new, as the gateway refuses a user's
// repeat within 30 s as `duplicate`.
let chatSeq = 0;

// A sample of failures from the first VUs: 10,000 VUs failing alike would bury the output.
function note(message) {
  if (exec.vu.idInTest <= 5 && notes++ < 5) console.warn(`VU ${exec.vu.idInTest}: ${message}`);
}

/**
 * Sleeps before a reconnect, as the SDK does: the server's `reconnect {delayMs}` hint, if it sent
 * one before closing, plus the backoff. With `jitter` the backoff is random in
 * [0, min(cap, base·2^n)] (full jitter), n counting failed attempts in a row; a session that lasted
 * `ROAR_BACKOFF_RESET_MS` resets n. Without jitter the first retry is immediate and later ones wait
 * exactly base·2^(n-1): every client that dropped together retries together, the thundering herd.
 * No wait after a planned leave or before a first connect.
 */
export function pauseBeforeReconnect(jitter) {
  const last = lastSession;
  if (!last || !last.reconnect || last.scenario !== exec.scenario.name) {
    attempt = 0;
    return;
  }
  if (last.joined && last.lastedMs >= config.backoffResetMs) attempt = 0;
  const ceiling = Math.min(config.backoffCapMs, config.backoffBaseMs * 2 ** Math.min(attempt, 30));
  let waitMs;
  if (jitter) waitMs = Math.random() * ceiling;
  else waitMs = attempt === 0 ? 0 : ceiling / 2;
  attempt++;
  waitMs += last.hintMs;
  if (waitMs > 0) sleep(waitMs / 1000);
}

/** Epoch ms at which this scenario's sessions should be over: `lengthS` after it started, less a margin. */
export function sessionDeadline(lengthS) {
  return exec.scenario.startTime + lengthS * 1000 - END_MARGIN_MS;
}

/**
 * The start of every iteration that opens a session. Returns true after waiting what a client
 * would before (re)connecting. Returns false, after sleeping until just past the scenario's end,
 * when this VU is done: `until` (when its sessions must be over) has passed, or the server closed
 * with a code that means do not come back (4500-4999: a bad token, a ban), which the SDK obeys; a
 * tight reconnect loop would measure the script, not the server. Sleeping past the end, rather
 * than returning, keeps k6 from running empty iterations back to back. `scenarioEnd` (epoch ms)
 * defaults to `until` plus END_MARGIN_MS, as `sessionDeadline` computes it.
 */
export function beforeSession(until, jitter, scenarioEnd) {
  if (toldToStay !== exec.scenario.name && Date.now() < until) {
    pauseBeforeReconnect(jitter !== false);
    if (Date.now() < until) return true;
  }
  const end = scenarioEnd === undefined ? until + END_MARGIN_MS : scenarioEnd;
  const idleMs = end + 500 - Date.now();
  if (idleMs > 0) sleep(idleMs / 1000);
  return false;
}

function isRecording() {
  if (config.latencySample <= 0) return false;
  return exec.vu.idInTest % Math.max(1, Math.round(1 / config.latencySample)) === 0;
}

/**
 * Opens one connection, joins the stream once welcomed, then calls `onJoined(session)`. The k6
 * iteration lasts as long as the socket: until `holdMs` after the join or the epoch-ms time
 * `until`, whichever comes first, or until the server closes it. Give every session an `until`
 * before its scenario ends (`sessionDeadline`): k6 runs no close listener for a VU it stops.
 *
 * opts: { runId, signedIn, stream, holdMs, until, drop, onJoined, latencyTags }. `drop: true`
 * makes the planned end behave like a lost connection: the next iteration reconnects with backoff
 * and resumes from the last chat id it saw.
 */
export function connect(opts) {
  const o = opts || {};
  const stream = o.stream || config.stream;
  const vu = exec.vu.idInTest;
  const headers = { 'Sec-WebSocket-Protocol': SUBPROTOCOL };
  let url = config.url;
  if (o.signedIn && config.jwtSecret) {
    // A header keeps the token out of the URL, which servers and proxies log.
    headers.Authorization = `Bearer ${mintToken(`k6-${vu}`, `k6 viewer ${vu}`)}`;
  } else {
    url = `${config.url}${config.url.indexOf('?') < 0 ? '?' : '&'}anon=k6-${o.runId || 'run'}-${vu}`;
  }
  const previous = lastSession && lastSession.scenario === exec.scenario.name ? lastSession : null;
  const since = previous && previous.reconnect ? lastChatId : undefined;
  const recording = isRecording();
  const started = Date.now();
  // The subprotocol goes in a header, not the `protocols` argument: older k6 ignores that
  // argument, and newer k6 refuses both at once. A fixed `name` tag stops every anonymous id
  // from becoming its own metric series.
  const ws = new WebSocket(url, null, { headers, tags: { name: config.url } });

  const intervals = [];
  const timeouts = [];
  const pending = {};
  let pendingCount = 0;
  let ref = 0;
  let joinRef = 0;
  let opened = false;
  let joined = false;
  let failed = false;
  let leaving = false;
  let dropping = false;

  const send = (message) => {
    if (ws.readyState === 1) ws.send(JSON.stringify(message));
  };
  let hintMs = 0;
  let finished = false;
  const fail = (reason) => {
    if (failed || joined) return;
    failed = true;
    record(connectErrors, 'roar_connect_errors', true);
    note(`connect failed: ${reason}`);
  };
  const settle = (r, code) => {
    if (pending[r] === undefined) return false;
    delete pending[r];
    pendingCount--;
    record(chatFailed, 'roar_chat_failed', code !== null && code !== 'rate_limited');
    if (code === null) chatAcks.add(1);
    else chatErrors.add(1, { code });
    return true;
  };

  const session = {
    stream,
    vu,
    reactions: ['🔥'],
    /**
     * Sends a chat message; its ack or error is counted when it arrives. A run id and this VU's
     * running count are appended, so no text repeats across this VU's sessions, nor across runs.
     */
    chat(text) {
      if (ws.readyState !== 1 || leaving) return;
      ref++;
      pending[ref] = true;
      pendingCount++;
      send({ type: 'chat', ref, stream, text: `${text} (${o.runId || 'run'} #${++chatSeq})` });
    },
    /** Sends a reaction without a ref, as a real client does: only failures are answered. */
    react(emoji) {
      const list = session.reactions;
      const pick = emoji || list[Math.floor(Math.random() * list.length)];
      if (!leaving) send({ type: 'react', stream, emoji: pick });
    },
    every(ms, fn) {
      intervals.push(setInterval(fn, ms));
    },
    /**
     * Calls `fn` as a Poisson process of `ratePerS` events/s (a number, or a function read on
     * every tick so a scenario can change the rate mid-session). Ticks 10×/s, so at most 10/s.
     */
    randomly(ratePerS, fn) {
      const rate = typeof ratePerS === 'function' ? ratePerS : () => ratePerS;
      intervals.push(
        setInterval(() => {
          if (Math.random() < rate() / 10) fn();
        }, 100),
      );
    },
    after(ms, fn) {
      timeouts.push(setTimeout(fn, ms));
    },
    /** Leaves: stops this session's timers and closes once in-flight chats had time to settle. */
    end(asDrop) {
      if (leaving) return;
      leaving = true;
      dropping = asDrop === true;
      intervals.forEach((id) => clearInterval(id));
      timeouts.forEach((id) => clearTimeout(id));
      if (pendingCount > 0) setTimeout(() => ws.close(), DRAIN_MS);
      else ws.close();
    },
  };

  const onJoined = (msg) => {
    joined = true;
    const now = Date.now();
    record(joinTime, 'roar_join_time', now - started);
    record(connectErrors, 'roar_connect_errors', false);
    // From the drop, not from the last failed dial: the backoff and every refused dial count.
    if (droppedAt !== undefined && dropScenario === exec.scenario.name) {
      record(rejoinTime, 'roar_rejoin_time', now - droppedAt);
    }
    droppedAt = undefined;
    if (Array.isArray(msg.reactions) && msg.reactions.length > 0) session.reactions = msg.reactions;
    const history = msg.history || [];
    if (history.length > 0) lastChatId = history[history.length - 1].id;
    let holdMs = o.holdMs;
    if (o.until !== undefined)
      holdMs = Math.min(o.until - now, holdMs === undefined ? Infinity : holdMs);
    if (holdMs !== undefined) session.after(Math.max(0, holdMs), () => session.end(o.drop));
    if (o.onJoined) o.onJoined(session);
  };

  ws.addEventListener('open', () => {
    opened = true;
  });
  ws.addEventListener('message', (e) => {
    // e.timestamp is when k6 read the frame, before it waited in this VU's event loop queue.
    const receivedAt = e.timestamp || Date.now();
    let msg;
    try {
      msg = JSON.parse(e.data);
    } catch (_) {
      note('a frame that is not JSON (was the msgpack subprotocol negotiated?)');
      return;
    }
    switch (msg.type) {
      case 'welcome':
        joinRef = ++ref;
        send(
          since
            ? { type: 'join', ref: joinRef, stream, since }
            : { type: 'join', ref: joinRef, stream },
        );
        break;
      case 'joined':
        if (msg.ref === joinRef) onJoined(msg);
        break;
      case 'batch':
        for (const ev of msg.events || []) {
          if (ev.type !== 'chat') continue;
          chatDelivered.add(1);
          lastChatId = ev.id;
          if (recording) {
            const tags = o.latencyTags ? o.latencyTags() : undefined;
            record(deliveryLatency, 'roar_delivery_latency', receivedAt - ev.ts, tags);
          }
        }
        break;
      case 'ack':
        settle(msg.ref, null);
        break;
      case 'error':
        if (msg.ref !== undefined && msg.ref === joinRef && !joined) {
          fail(`join refused: ${msg.code}`);
          // Like a dropped dial: the next iteration tries again after the backoff.
          leaving = true;
          dropping = true;
          ws.close();
        } else if (msg.ref === undefined || !settle(msg.ref, msg.code)) {
          if (joined) reactErrors.add(1, { code: msg.code });
          else note(`error before join: ${msg.code} ${msg.message}`);
        }
        break;
      case 'reconnect':
        // Sent just before a server-initiated close (a drain): the SDK waits this long, plus its
        // backoff, before dialling again. It applies to that close only.
        if (typeof msg.delayMs === 'number' && msg.delayMs >= 0)
          hintMs = Math.min(msg.delayMs, MAX_RECONNECT_HINT_MS);
        break;
      default:
        break; // pong, left: nothing to measure
    }
  });
  // Once per session, from `close` or from an `error` that no `close` may follow (a dial that
  // never opened).
  const finish = (closeCode) => {
    if (finished) return;
    finished = true;
    intervals.forEach((id) => clearInterval(id));
    timeouts.forEach((id) => clearTimeout(id));
    // Older k6 reports no code; a close we did not start is then treated as a dropped network.
    const code = closeCode || (leaving ? 1000 : 1006);
    const now = Date.now();
    if (!joined) fail(opened ? `closed ${code} before joining` : 'could not connect');
    else {
      const unexpected = !leaving && EXPECTED_CLOSES.indexOf(code) < 0;
      record(unexpectedClose, 'roar_unexpected_close', unexpected, { code: String(code) });
    }
    if (pendingCount > 0) {
      chatErrors.add(pendingCount, { code: 'no_reply' });
      for (let i = 0; i < pendingCount; i++) record(chatFailed, 'roar_chat_failed', true);
    }
    let reconnect;
    if (leaving) reconnect = dropping;
    else reconnect = shouldReconnect(code) || (code === TOKEN_EXPIRED && joined);
    if (!leaving && !reconnect) {
      toldToStay = exec.scenario.name;
      note(`the server closed with ${code}: not reconnecting, as the SDK would not`);
    }
    if (joined && reconnect) {
      droppedAt = now;
      dropScenario = exec.scenario.name;
    } else if (!reconnect) {
      droppedAt = undefined;
    }
    lastSession = {
      scenario: exec.scenario.name,
      joined,
      code,
      reconnect,
      hintMs,
      lastedMs: now - started,
      closedAt: now,
    };
  };
  ws.addEventListener('error', (e) => {
    if (!joined) fail(e.error || 'socket error');
    if (!opened) finish(1006);
  });
  ws.addEventListener('close', (e) => finish(e.code));
  return session;
}
