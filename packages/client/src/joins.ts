import {
  ErrorCode,
  isErrorCode,
  type ClientMessage,
  type JoinedMessage,
} from '@roar/protocol/core';
import { Backoff } from './backoff.js';
import type { Clock, Timer } from './clock.js';
import { deferred } from './deferred.js';
import type { Delivery } from './delivery.js';
import { ClientErrorCode, RoarClientError } from './errors.js';
import type { PendingRequests } from './pending-requests.js';
import { StreamState } from './streams.js';

/** A join answered `unavailable` is sent again at most this many times before it is given up. */
export const JOIN_RETRIES = 8;
/** Their backoff: full jitter under 1 s doubling to 30 s, never sooner than `retryAfterMs`. */
const JOIN_RETRY_BACKOFF = { initialDelayMs: 1000, maxDelayMs: 30_000, multiplier: 2 };

/** What the joins need of the client besides requests and delivery. */
export interface JoinsContext {
  clock: Clock;
  random: () => number;
  /** The server has welcomed this connection: a join can be sent now. */
  connected: () => boolean;
}

interface Retry {
  backoff: Backoff;
  timer: Timer | undefined;
}

/**
 * The streams the app has joined, kept across reconnects: each is joined again on every welcome
 * (from the last chat id seen, so the server resumes it), its `join()` promise settles once, and
 * it is forgotten only when the app leaves it or the server refuses it. A join (or a rejoin after
 * a reconnect) answered `unavailable` — the app's join hook down and failing closed, say during
 * its deploy — is not a refusal: it is sent again after the server's `retryAfterMs`, with a
 * jittered backoff (about 1 s doubling to 30 s), up to `JOIN_RETRIES` times (a few minutes), and
 * its `join()` keeps waiting meanwhile; only then is the stream forgotten with that error.
 */
export class Joins {
  readonly #streams = new Map<string, StreamState>();
  readonly #retries = new Map<string, Retry>();
  readonly #context: JoinsContext;
  readonly #requests: PendingRequests;
  readonly #delivery: Delivery;
  readonly #transmit: (ref: number, message: ClientMessage) => void;
  readonly #dedupeWindow: number;

  constructor(
    requests: PendingRequests,
    delivery: Delivery,
    transmit: (ref: number, message: ClientMessage) => void,
    dedupeWindow: number,
    context: JoinsContext,
  ) {
    this.#context = context;
    this.#requests = requests;
    this.#delivery = delivery;
    this.#transmit = transmit;
    this.#dedupeWindow = dedupeWindow;
  }

  get(stream: string): StreamState | undefined {
    return this.#streams.get(stream);
  }

  has(stream: string): boolean {
    return this.#streams.has(stream);
  }

  /**
   * The app's `join()` (see `RoarClient.join`): sent now when `connected`, else on the welcome.
   * A stream joined already resolves with its current reply; one on its way shares the promise.
   */
  join(stream: string, connected: boolean, since?: string): Promise<JoinedMessage> {
    let state = this.#streams.get(stream);
    if (state?.joined) return Promise.resolve(state.joined);
    if (!state) {
      state = new StreamState(stream, this.#dedupeWindow);
      // Resumed from a message seen elsewhere (a replay that goes live).
      state.lastChatId = since;
      this.#streams.set(stream, state);
    }
    state.waiter ??= deferred();
    const { promise } = state.waiter;
    if (connected && state.joinRef === undefined) this.#send(state);
    return promise;
  }

  /** Forgets `stream`, cancelling a join in flight; false when it was not joined. */
  forget(stream: string): boolean {
    const state = this.#streams.get(stream);
    if (!state) return false;
    this.#streams.delete(stream);
    this.#endRetry(stream);
    const cancelled = new RoarClientError(ClientErrorCode.Cancelled, `left ${stream}`, { stream });
    if (state.joinRef !== undefined) this.#requests.reject(state.joinRef, cancelled);
    state.settle({ error: cancelled });
    return true;
  }

  /** The server welcomed the client: join every stream again. */
  rejoinAll(): void {
    for (const state of this.#streams.values()) this.#send(state);
  }

  /** The connection dropped: no stream is joined on the next one until it is rejoined. */
  dropped(): void {
    for (const state of this.#streams.values()) {
      state.joined = undefined;
      state.joinRef = undefined;
    }
    // The welcome of the next connection rejoins them (their attempts still count).
    for (const retry of this.#retries.values()) {
      retry.timer?.cancel();
      retry.timer = undefined;
    }
  }

  /** Rejects every waiting `join()` with `error`; `forget` also drops the streams (`close()`). */
  settleAll(error: unknown, forget: boolean): void {
    for (const state of this.#streams.values()) state.settle({ error });
    if (!forget) return;
    for (const stream of this.#retries.keys()) this.#endRetry(stream);
    this.#streams.clear();
  }

  /** The server's `joined` reply: delivers it and settles the join. */
  joined(message: JoinedMessage): void {
    const state = this.#streams.get(message.stream);
    if (!state) {
      // Left while the join was in flight: nothing to deliver.
      this.#requests.settle(message);
      return;
    }
    const joined = this.#delivery.joined(state, message);
    this.#endRetry(message.stream);
    state.joined = joined;
    state.joinRef = undefined;
    // Settled here, not when the request's promise resolves a tick later, so that a leave() in
    // the meantime cannot turn a completed join into a cancelled one.
    state.settle({ joined });
    this.#requests.settle(joined);
  }

  #send(state: StreamState): void {
    let ref: number;
    let reply: Promise<JoinedMessage>;
    try {
      ({ ref, reply } = this.#requests.start('join'));
    } catch (error) {
      return state.settle({ error });
    }
    state.joinRef = ref;
    const since = state.lastChatId;
    const stateVersion = state.stateVersion;
    this.#transmit(ref, {
      type: 'join',
      ref,
      stream: state.name,
      ...(since !== undefined ? { since } : {}),
      ...(stateVersion !== undefined ? { stateVersion } : {}),
    });
    reply.catch((error: unknown) => {
      if (state.joinRef === ref) state.joinRef = undefined;
      if (this.#retryLater(state, error)) return;
      // The server said no: forget the stream, unless it says the stream is joined already.
      if (
        error instanceof RoarClientError &&
        isErrorCode(error.code) &&
        error.code !== ErrorCode.AlreadyJoined &&
        this.#streams.get(state.name) === state
      ) {
        this.#streams.delete(state.name);
      }
      this.#endRetry(state.name);
      state.settle({ error });
    });
  }

  /** Schedules another join of a stream answered `unavailable`; false when it is given up. */
  #retryLater(state: StreamState, error: unknown): boolean {
    if (!(error instanceof RoarClientError) || error.code !== ErrorCode.Unavailable) return false;
    if (this.#streams.get(state.name) !== state) return false;
    const { clock, random, connected } = this.#context;
    let retry = this.#retries.get(state.name);
    if (!retry) {
      retry = { backoff: new Backoff(JOIN_RETRY_BACKOFF, random), timer: undefined };
      this.#retries.set(state.name, retry);
    }
    if (retry.backoff.attempt >= JOIN_RETRIES) return false;
    const delay = Math.max(error.retryAfterMs ?? 0, retry.backoff.next());
    retry.timer?.cancel();
    retry.timer = clock.setTimer(() => {
      if (retry.timer === undefined) return;
      retry.timer = undefined;
      // Left, joined, on its way, or offline (the next welcome rejoins it): nothing to send.
      if (this.#streams.get(state.name) !== state || state.joined || state.joinRef !== undefined)
        return;
      if (connected()) this.#send(state);
    }, delay);
    return true;
  }

  #endRetry(stream: string): void {
    this.#retries.get(stream)?.timer?.cancel();
    this.#retries.delete(stream);
  }
}
