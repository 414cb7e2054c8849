import { ErrorCode, RoarError, type EncodedEvent, type JoinRequest } from '@roar/protocol';
import type { Route } from '../base/http.js';
import type { AdminRoute } from '../moderation/admin-router.js';
import type { StreamState } from '../streams/stream-state.js';
import type { BusReceiver } from '../streams/bus-events.js';
import type { Session, Socket } from '../transport/socket.js';
import type { FeatureReply, FeatureRequest, FeatureRequestType, StreamFeature } from './feature.js';

/**
 * The registered stream features, looked up by request type and by subject kind (one `Map`
 * lookup per frame or bus message). Built once; a request type or subject kind claimed twice is
 * a programming error and throws at construction.
 */
export class FeatureRegistry {
  readonly features: readonly StreamFeature[];
  readonly #byRequest = new Map<FeatureRequestType, StreamFeature>();
  readonly #bySubject = new Map<string, StreamFeature & BusReceiver>();
  /** The features with an `open` / a `joined` hook, so a join visits only those. */
  readonly #opening: readonly StreamFeature[];
  readonly #joining: readonly StreamFeature[];

  constructor(features: readonly StreamFeature[]) {
    this.features = features;
    this.#opening = features.filter((f) => f.open !== undefined);
    this.#joining = features.filter((f) => f.joined !== undefined);
    for (const feature of features) {
      for (const type of feature.requests) {
        const owner = this.#byRequest.get(type);
        if (owner)
          throw new Error(
            `request type "${type}" claimed by both ${owner.name} and ${feature.name}`,
          );
        this.#byRequest.set(type, feature);
      }
      for (const kind of feature.subjects ?? []) {
        const owner = this.#bySubject.get(kind);
        if (owner)
          throw new Error(
            `subject kind "${kind}" claimed by both ${owner.name} and ${feature.name}`,
          );
        if (!feature.receive) throw new Error(`${feature.name} owns "${kind}" but has no receive`);
        this.#bySubject.set(kind, feature as StreamFeature & BusReceiver);
      }
      if ((feature.report === undefined) !== (feature.reportEveryMs === undefined))
        throw new Error(`${feature.name} needs both report and reportEveryMs, or neither`);
    }
  }

  /** Answers a request through the feature that claimed its type (see `StreamFeature.handle`). */
  handle(
    request: FeatureRequest,
    ws: Socket,
    s: Session,
    now: number,
  ): FeatureReply | Promise<FeatureReply> {
    const feature = this.#byRequest.get(request.type);
    if (feature === undefined)
      throw new RoarError(ErrorCode.UnknownType, `unknown message type "${request.type}"`);
    return feature.handle(request, ws, s, now);
  }

  /** The feature that owns per-stream subject `kind`, if any. */
  receiver(kind: string): BusReceiver | undefined {
    return this.#bySubject.get(kind);
  }

  /** Every feature's `open` for a stream the gateway starts holding; settles when all have. */
  open(state: StreamState): Promise<void> {
    const loads: Promise<void>[] = [];
    for (const feature of this.#opening) {
      const load = feature.open?.(state);
      // A feature's load must not fail the stream's joins: it catches, logs and counts its own
      // failures and resolves (viewers join without its snapshot).
      if (load) loads.push(load);
    }
    return loads.length === 0 ? Promise.resolve() : Promise.all(loads).then(() => undefined);
  }

  /** The features' snapshots for a joining viewer, in registration order (see `joined`). */
  joined(state: StreamState, s: Session, join: JoinRequest): EncodedEvent[] | undefined {
    let events: EncodedEvent[] | undefined;
    for (const feature of this.#joining) {
      const more = feature.joined?.(state, s, join);
      if (more && more.length > 0) (events ??= []).push(...more);
    }
    return events;
  }

  setLevel(level: number): void {
    for (const feature of this.features) feature.setLevel?.(level);
  }

  sweep(now: number): void {
    for (const feature of this.features) feature.sweep?.(now);
  }

  forget(stream: string): void {
    for (const feature of this.features) feature.forget?.(stream);
  }

  /** Every feature's admin routes, in registration order (see `StreamFeature.routes`). */
  routes(route: AdminRoute): Route[] {
    return this.features.flatMap((feature) => feature.routes?.(route) ?? []);
  }
}
