// Bare uWebSockets.js with Roar's chat delivery policy and nothing else: the floor of the chat
// storm for any uWS server that shows a viewer what Roar shows. Same protocol as servers/uws.mjs
// (a join subscribes to the stream's topic); a stream's chat is held and published as one frame
// (a JSON array of the events) at most every ROAR_TICK_MS, and at most every ROAR_STORM_TICK_MS
// while it samples, judged on one grid of ticks as Roar's beat; a token bucket of
// ROAR_CHAT_BUDGET messages a second (a second's worth of burst) keeps a uniform random choice of
// each frame's messages, in order. No ids, rules, rate limits, history, acks or counts: what is
// left is reading chat frames and writing the frames.
// Env: the three ROAR_* above at Roar's defaults, and bare-uws.mjs's.
import { serveBareUws } from './bare-uws.mjs';

const BUDGET = Number(process.env.ROAR_CHAT_BUDGET ?? 25);
const TICK_MS = Number(process.env.ROAR_TICK_MS ?? 50);
const STORM_TICK_MS = Number(process.env.ROAR_STORM_TICK_MS ?? 500);
/**
 * A stream that dropped chat this recently, or took more than a second's budget in this long, is
 * sampling: its frames keep to the storm tick.
 */
const SAMPLING_MS = 1000;

const now = () => performance.now();
const ORIGIN = now();
/** @type {Map<string, {pending: string[], tokens: number, at: number, lastFlush: number, droppedAt: number, arrivals: number[], first: number, timer?: unknown}>} */
const streams = new Map();

/** The next tick of the grid after `at`. */
const nextTick = (at) => ORIGIN + Math.ceil((at - ORIGIN) / TICK_MS) * TICK_MS;
/** Whole milliseconds to `at`, never early (as Roar's beat sets its timer). */
const until = (at, t) => Math.max(1, Math.ceil(at - t));

/** A tick of a stream with chat waiting: its frame when due (as Roar's fanout judges it). */
function onTick(stream, s, every) {
  const t = now();
  if (t - s.lastFlush < every) {
    s.timer = setTimeout(onTick, until(nextTick(t + 1), t), stream, s, every);
    return;
  }
  flush(stream, s);
}

function flush(stream, s) {
  s.timer = undefined;
  const t = now();
  s.tokens = Math.min(BUDGET, s.tokens + ((t - s.at) * BUDGET) / 1000);
  s.at = t;
  let out = s.pending;
  s.pending = [];
  const k = Math.floor(s.tokens);
  if (out.length > k) {
    // k of n uniformly at random, in order (selection sampling).
    const kept = [];
    for (let i = 0; i < out.length && kept.length < k; i++)
      if (Math.random() * (out.length - i) < k - kept.length) kept.push(out[i]);
    out = kept;
    s.droppedAt = t;
  }
  s.tokens -= out.length;
  s.lastFlush = t;
  if (out.length > 0) app.publish(stream, `[${out.join(',')}]`, false);
}

function accept(stream, eventJson) {
  let s = streams.get(stream);
  if (s === undefined) {
    s = {
      pending: [],
      tokens: BUDGET,
      at: now(),
      lastFlush: -Infinity,
      droppedAt: -Infinity,
      arrivals: [],
      first: 0,
    };
    streams.set(stream, s);
  }
  const t = now();
  s.pending.push(eventJson);
  // When the last messages came (a queue read from `first`, compacted now and then).
  s.arrivals.push(t);
  while (s.arrivals[s.first] < t - SAMPLING_MS) s.first++;
  if (s.first > 1024) {
    s.arrivals = s.arrivals.slice(s.first);
    s.first = 0;
  }
  if (s.timer !== undefined) return;
  const sampling = t - s.droppedAt < SAMPLING_MS || s.arrivals.length - s.first > BUDGET;
  const every = sampling ? STORM_TICK_MS : TICK_MS;
  // As Roar's beat and fanout: news after a quiet moment at once; else judged on the ticks of
  // one grid, from the first that could be due.
  const at = s.lastFlush + every;
  if (at <= t) return flush(stream, s);
  s.timer = setTimeout(onTick, until(nextTick(at), t), stream, s, every);
}

const app = serveBareUws('uws-sampled', accept);
