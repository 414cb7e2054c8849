import {
  ErrorCode,
  PROTOCOL_VERSION,
  RoarError,
  type StatusMessage,
  type ServerMessage,
} from '@roar/protocol';
import type { GatewayConfig } from '../base/config.js';
import type { Admission } from '../load/admission.js';
import { AuthError, type Authenticator } from '../base/auth.js';
import { FrameCheck, MAX_BACKLOG_FRAMES } from './frame-check.js';
import { Membership } from './membership.js';
import { OpenConnections } from './open-connections.js';
import { Replies } from './replies.js';
import type { BackendHooks } from '../hooks/index.js';
import type { Fanout } from '../streams/fanout.js';
import type { SlowClients } from '../load/slow-clients.js';
import { Disconnect, refusal } from '../transport/disconnect.js';
import type { Session, Socket } from '../transport/socket.js';
import type { FeatureReply, FeatureRequest } from '../features/feature.js';
import { buildFeatures, type FeatureDeps } from '../features/index.js';
import type { FeatureRegistry } from '../features/registry.js';

/** What the connection layer needs, and what it builds the stream features from. */
export interface ConnectionHandlerOptions extends Omit<FeatureDeps, 'automod'> {
  config: FeatureDeps['config'] &
    Pick<
      GatewayConfig,
      | 'fanoutSliceSockets'
      | 'historyOnJoin'
      | 'maxStreamsPerConnection'
      | 'frameRatePerS'
      | 'frameBurst'
      | 'maxPayloadBytes'
      | 'allowAnonymous'
    >;
  auth: Authenticator;
  admission: Admission;
  slow: SlowClients;
  fanout: Fanout;
  /** The app backend's connect, join and publish hooks (each optional). */
  hooks: BackendHooks;
}

/**
 * The protocol, per connection: what each client message does and what the client is told.
 * Every request is answered by exactly one reply carrying its `ref` (ack, joined, left, pong or
 * error); requests without a `ref` get a reply only when they fail.
 */
export class ConnectionHandler {
  readonly #o: ConnectionHandlerOptions;
  /** Every request but join and leave is answered by the feature that claimed its type. */
  readonly features: FeatureRegistry;
  readonly #replies: Replies;
  readonly #open: OpenConnections;
  readonly #membership: Membership;
  readonly #frames: FrameCheck;
  /** The current degradation status, told to every connection at its welcome. */
  #status: ServerMessage | undefined;

  constructor(options: ConnectionHandlerOptions) {
    this.#o = options;
    const { config, metrics, registry } = options;
    this.#replies = new Replies(metrics);
    this.#open = new OpenConnections(this.#replies, metrics, config.fanoutSliceSockets);
    this.#membership = new Membership({
      registry,
      fanout: options.fanout,
      metrics,
      historyOnJoin: config.historyOnJoin,
      maxStreamsPerConnection: config.maxStreamsPerConnection,
      features: () => this.features,
      joinHook: options.hooks.join,
      replies: this.#replies,
    });
    this.#frames = new FrameCheck({
      metrics,
      replies: this.#replies,
      frameRatePerS: config.frameRatePerS,
      frameBurst: config.frameBurst,
      maxPayloadBytes: config.maxPayloadBytes,
    });
    this.features = buildFeatures({ ...options, automod: options.hooks.publish });
  }

  get openSockets(): ReadonlySet<Socket> {
    return this.#open.sockets;
  }

  /**
   * The degradation level changed: from level 4 only moderators, broadcasters and admins may
   * chat; above 0 the status is told to every joiner; every connection is told now.
   */
  setLevel(status: StatusMessage): void {
    this.features.setLevel(status.level);
    this.#status = status.level > 0 ? status : undefined;
    this.broadcast(status);
  }

  open(ws: Socket): void {
    const s = ws.getUserData();
    s.open = true;
    this.#open.add(ws);
    this.#o.admission.opened(s.ip);
    this.#o.metrics.connections.inc();
    const signIn = s.signIn;
    s.signIn = undefined;
    if (signIn && 'refuse' in signIn) return this.#refuse(ws, signIn.refuse);
    const hook = this.#o.hooks.connect;
    // A JWT, else the app's session through the connect hook, else anonymous.
    const identified = !signIn
      ? undefined
      : 'token' in signIn
        ? this.#o.auth.verify(signIn.token)
        : hook?.signIn(signIn.credentials, s.ip, s.identity, this.#o.config.allowAnonymous);
    if (identified === undefined) {
      this.#o.metrics.connectionsTotal.inc({ result: 'accepted' });
      return this.#welcome(ws, s);
    }
    identified.then(
      (identity) => {
        if (!s.open) return;
        s.identity = identity;
        this.#o.metrics.connectionsTotal.inc({ result: 'accepted' });
        this.#welcome(ws, s);
      },
      (error: unknown) => {
        if (!s.open) return;
        if (!(error instanceof AuthError))
          this.#o.log.error('token verification failed', { error });
        this.#refuse(
          ws,
          error instanceof AuthError ? error : new AuthError(ErrorCode.Internal, 'sign-in failed'),
        );
      },
    );
  }

  /** Tells the client why it cannot stay, then closes with a do-not-reconnect code. */
  #refuse(ws: Socket, error: RoarError): void {
    this.#o.metrics.connectionsTotal.inc({ result: 'refused_auth' });
    ws.cork(() => {
      this.#replies.send(ws, { type: 'error', code: error.code, message: error.message });
      this.#replies.close(ws, refusal(error));
    });
  }

  #welcome(ws: Socket, s: Session): void {
    const { identity } = s;
    s.ready = true;
    const backlog = s.backlog;
    s.backlog = undefined;
    ws.cork(() => {
      this.#replies.send(ws, {
        type: 'welcome',
        v: PROTOCOL_VERSION,
        session: s.id,
        user: identity.anonymous
          ? null
          : {
              id: identity.userId ?? identity.key,
              name: identity.name,
              roles: [...identity.roles],
            },
        maxStreams: this.#o.config.maxStreamsPerConnection,
      });
      if (this.#status) this.#replies.send(ws, this.#status);
      for (const frame of backlog ?? []) if (s.open) this.#frame(ws, s, frame);
    });
  }

  close(ws: Socket): void {
    const s = ws.getUserData();
    if (!s.open) return;
    s.open = false;
    this.#open.delete(ws);
    this.#o.admission.closedConnection(s.ip);
    this.#o.slow.forget(ws);
    this.#o.metrics.connections.dec();
    this.#membership.leaveAll(s, this.#o.now());
  }

  message(ws: Socket, data: ArrayBuffer): void {
    const s = ws.getUserData();
    if (!s.open) return;
    if (!s.ready) {
      // The token is still being checked; keep a few frames (copied: uWS reuses the buffer).
      s.backlog ??= [];
      if (s.backlog.length >= MAX_BACKLOG_FRAMES) return this.#replies.close(ws, Disconnect.Flood);
      s.backlog.push(new Uint8Array(data.slice(0)));
      return;
    }
    this.#frame(ws, s, data);
  }

  #frame(ws: Socket, s: Session, data: ArrayBuffer | Uint8Array): void {
    const now = this.#o.now();
    const replies = this.#replies;
    const request = this.#frames.decode(ws, s, data, now);
    if (request === undefined) return;
    try {
      switch (request.type) {
        case 'join':
          return this.#membership.join(ws, s, request);
        case 'leave':
          return replies.send(ws, this.#membership.leave(ws, s, request, now));
        default: {
          const reply = this.features.handle(request, ws, s, now);
          if (reply instanceof Promise) return this.#settle(ws, s, request, reply);
          return this.#send(ws, reply);
        }
      }
    } catch (error) {
      if (!(error instanceof RoarError)) throw error;
      replies.reject(ws, error, request.ref, 'stream' in request ? request.stream : undefined);
    }
  }

  #send(ws: Socket, reply: ServerMessage | undefined): void {
    if (reply !== undefined) this.#replies.send(ws, reply);
  }

  /** A feature's reply once it settles: sent while the connection is open (see `StreamFeature`). */
  #settle(ws: Socket, s: Session, req: FeatureRequest, reply: Promise<FeatureReply>): void {
    reply.then(
      (message) => {
        if (message !== undefined && s.open) this.#replies.send(ws, message);
      },
      (error: unknown) => {
        if (!s.open) return;
        const stream = 'stream' in req ? req.stream : undefined;
        if (error instanceof RoarError) return this.#replies.reject(ws, error, req.ref, stream);
        this.#o.log.error('request failed', { type: req.type, stream, error });
        const e = new RoarError(ErrorCode.Internal, 'the request failed; try again');
        this.#replies.reject(ws, e, req.ref, stream);
      },
    );
  }

  /** Sends one message to every connection (see `OpenConnections.broadcast`). */
  broadcast(message: ServerMessage): void {
    this.#open.broadcast(message);
  }

  /** Closes every connection with "reconnect", spread over `windowMs` (see `OpenConnections`). */
  drain(windowMs: number): Promise<void> {
    return this.#open.drain(windowMs);
  }
}
