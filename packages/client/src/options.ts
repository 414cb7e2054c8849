import type { AdmissionFetch } from './admission.js';
import { isAnonId, jsonClientCodec, type ClientCodec, type CodecName } from '@roar/protocol/core';
import { defaultStorage, loadAnonId, type KeyValueStorage } from './anon-id.js';
import { BACKOFF_DEFAULTS, type BackoffOptions } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import { ClientErrorCode, RoarClientError } from './errors.js';
import { DEFAULT_MAX_HELD, type PlaybackOptions } from './playback.js';
import { SseTransport, type EventSourceConstructor, type FetchLike } from './sse-transport.js';
import type { TransportFactory } from './transport.js';
import { TransportChoice, fixedChoice, type TransportMode } from './transport-choice.js';
import { WebSocketTransport, type WebSocketConstructor } from './websocket-transport.js';

/** Everything a `RoarClient` can be told. Only `url` is required. */
export interface RoarClientOptions {
  /** The WebSocket endpoint, `ws://` or `wss://`, e.g. `wss://roar.example.com/ws`. */
  url: string;
  /**
   * A signed-in user's JWT. A function is called before every connection attempt, so it can
   * return a fresh token; an empty string means anonymous. Omit for an anonymous viewer.
   */
  token?: string | (() => string | Promise<string>);
  /**
   * The anonymous viewer id sent when there is no token. `'auto'` (the default) generates a random
   * id once and keeps it in `storage` under `roar.anonId`, so a device counts as one unique viewer
   * across reconnects and reloads.
   */
  anonId?: string;
  /** Where `'auto'` keeps the anonymous id. Default `localStorage` when present, else memory. */
  storage?: KeyValueStorage;
  /**
   * Wire format. Default `msgpack` (smaller, faster); `json` is easier to read in devtools.
   * `@roar/client/json` speaks only `json` (its default), and leaves msgpackr out.
   */
  codec?: CodecName;
  /** WebSocket constructor. Default `globalThis.WebSocket`; on Node 20 pass the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /**
   * How frames travel. `auto` (the default): WebSocket, falling back to server-sent events plus
   * HTTP POST after `fallbackAfter` dials fail without a welcome (networks that block WebSocket);
   * `websocket` or `sse` forces one; a function replaces both (an app's own transport, a double).
   * The fallback speaks JSON whatever `codec` says.
   */
  transport?: TransportMode | TransportFactory;
  /** EventSource constructor for the fallback. Default `globalThis.EventSource` (browsers). */
  EventSource?: EventSourceConstructor;
  /** `fetch` for the fallback's POSTs. Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /**
   * Fair admission (docs/protocol.md): after a dial refused before its welcome, the client asks
   * `GET /v1/admission` for a place in the queue and comes back at its time. Default
   * `globalThis.fetch` with the built-in transports, off with a transport function; `false`
   * turns it off.
   */
  admission?: AdmissionFetch | false;
  /** Failed WebSocket dials (no welcome) in a row before `auto` tries the fallback. Default 3. */
  fallbackAfter?: number;
  /** Reconnect backoff; see `BackoffOptions` for the defaults. */
  reconnect?: BackoffOptions;
  /** How long a request waits for its reply, and a connection for its welcome. Default 10 s. */
  requestTimeoutMs?: number;
  /** Hold chat and reactions until the video player reaches them. Off by default. */
  playback?: PlaybackOptions;
  /** Time source, for tests and simulations. Default the system clock. */
  clock?: Clock;
  /** Uniform random numbers in [0, 1), for backoff jitter; for tests. Default `Math.random`. */
  random?: () => number;
}

/** Most requests waiting for replies at once; a client past it has stopped reading them. */
export const MAX_IN_FLIGHT = 256;
/** Chat ids remembered per stream to drop duplicates; more than a resume can replay. */
export const DEDUPE_WINDOW = 1_000;
/** How often the clock offset is re-estimated while playback alignment is on. */
export const CLOCK_PING_INTERVAL_MS = 30_000;
/** Longest server-suggested reconnect delay honoured; a larger one is a bug, not a plan. */
export const MAX_RECONNECT_HINT_MS = 10 * 60_000;

/** The wire formats an entry of the SDK can speak, and the one it uses unless told. */
export interface CodecTable {
  default: CodecName;
  codecs: Readonly<Partial<Record<CodecName, ClientCodec>>>;
}

/** `@roar/client/json`: JSON only, so msgpackr stays out of the bundle. */
export const JSON_ONLY: CodecTable = { default: 'json', codecs: { json: jsonClientCodec } };

export interface ResolvedOptions {
  url: string;
  token: RoarClientOptions['token'];
  anonId: string;
  codec: ClientCodec;
  transports: TransportChoice;
  reconnect: Required<BackoffOptions>;
  requestTimeoutMs: number;
  playback: { latencyMs: () => number; maxHeld: number } | undefined;
  clock: Clock;
  random: () => number;
  /** How the admission endpoint is asked; undefined: it is not. */
  admission: AdmissionFetch | undefined;
}

function invalid(message: string): RoarClientError {
  return new RoarClientError(ClientErrorCode.InvalidArgument, message);
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw invalid(`${name} must be a positive number`);
  return value;
}

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new RoarClientError(ClientErrorCode.InvalidArgument, `url is not a URL: ${url}`, {
      cause,
    });
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw invalid(`url must start with ws:// or wss:// (got ${parsed.protocol})`);
  }
  return url;
}

const NO_WEBSOCKET =
  'this runtime has no WebSocket: pass one as options.WebSocket (on Node 20, ws)';

function pickTransports(options: RoarClientOptions): TransportChoice {
  const mode = options.transport ?? 'auto';
  if (typeof mode === 'function') return fixedChoice(mode);
  if (mode !== 'auto' && mode !== 'websocket' && mode !== 'sse') {
    throw invalid('transport must be auto, websocket, sse or a function');
  }
  const runtime = globalThis as {
    WebSocket?: WebSocketConstructor;
    EventSource?: EventSourceConstructor;
    fetch?: FetchLike;
  };
  const WebSocket = options.WebSocket ?? runtime.WebSocket;
  const EventSource = options.EventSource ?? runtime.EventSource;
  const globalFetch = runtime.fetch;
  // Called through a wrapper: browsers throw "Illegal invocation" for a detached `fetch`.
  const fetch = options.fetch ?? (globalFetch ? (url, init) => globalFetch(url, init) : undefined);
  const websocket =
    WebSocket && mode !== 'sse' ? () => new WebSocketTransport(WebSocket) : undefined;
  const sse =
    EventSource && fetch && mode !== 'websocket'
      ? () => new SseTransport({ EventSource, fetch })
      : undefined;
  if (mode === 'sse' && !sse) {
    throw invalid('transport sse needs EventSource and fetch: pass options.EventSource on Node');
  }
  if (!websocket && !sse) throw invalid(NO_WEBSOCKET);
  const fallbackAfter = Math.ceil(positive('fallbackAfter', options.fallbackAfter, 3));
  return new TransportChoice({ websocket, sse, fallbackAfter });
}

/** Applies the defaults and checks every option; throws `invalid_argument` naming the bad one. */
export function resolveOptions(options: RoarClientOptions, table: CodecTable): ResolvedOptions {
  const random = options.random ?? Math.random;
  const codecName = options.codec ?? table.default;
  if (codecName !== 'msgpack' && codecName !== 'json') {
    throw invalid('codec must be msgpack or json');
  }
  const codec = table.codecs[codecName];
  if (!codec) throw invalid(`codec ${codecName} is not in @roar/client/json: import @roar/client`);
  const anonOption = options.anonId ?? 'auto';
  if (anonOption !== 'auto' && !isAnonId(anonOption)) {
    throw invalid('anonId must be "auto" or 8-64 characters of A-Z a-z 0-9 _ -');
  }
  const token = options.token;
  if (token !== undefined && typeof token !== 'string' && typeof token !== 'function') {
    throw invalid('token must be a string or a function');
  }
  const r = options.reconnect ?? {};
  const reconnect: Required<BackoffOptions> = {
    initialDelayMs: positive(
      'reconnect.initialDelayMs',
      r.initialDelayMs,
      BACKOFF_DEFAULTS.initialDelayMs,
    ),
    maxDelayMs: positive('reconnect.maxDelayMs', r.maxDelayMs, BACKOFF_DEFAULTS.maxDelayMs),
    multiplier: positive('reconnect.multiplier', r.multiplier, BACKOFF_DEFAULTS.multiplier),
    resetAfterMs: positive('reconnect.resetAfterMs', r.resetAfterMs, BACKOFF_DEFAULTS.resetAfterMs),
  };
  if (reconnect.multiplier < 1) throw invalid('reconnect.multiplier must be at least 1');
  let playback: ResolvedOptions['playback'];
  if (options.playback) {
    const { latencyMs, maxHeld } = options.playback;
    if (typeof latencyMs !== 'function' && !(Number.isFinite(latencyMs) && latencyMs >= 0)) {
      throw invalid('playback.latencyMs must be a number of ms (0 or more) or a function');
    }
    playback = {
      latencyMs: typeof latencyMs === 'function' ? latencyMs : () => latencyMs,
      maxHeld: Math.max(1, Math.floor(positive('playback.maxHeld', maxHeld, DEFAULT_MAX_HELD))),
    };
  }
  return {
    url: checkUrl(options.url),
    token,
    anonId:
      anonOption === 'auto' ? loadAnonId(options.storage ?? defaultStorage(), random) : anonOption,
    codec,
    transports: pickTransports(options),
    reconnect,
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 10_000),
    playback,
    clock: options.clock ?? systemClock,
    random,
    admission: admissionFetch(options),
  };
}

function admissionFetch(options: RoarClientOptions): AdmissionFetch | undefined {
  if (options.admission === false) return undefined;
  if (options.admission !== undefined) {
    if (typeof options.admission !== 'function')
      throw invalid('admission must be a function or false');
    return options.admission;
  }
  if (typeof options.transport === 'function') return undefined;
  const globalFetch = (globalThis as { fetch?: AdmissionFetch }).fetch;
  // Called through a wrapper: browsers throw "Illegal invocation" for a detached `fetch`.
  return globalFetch ? (url) => globalFetch(url) : undefined;
}
