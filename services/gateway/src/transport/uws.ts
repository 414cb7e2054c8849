// With `uws-http.ts`, the only module that imports uWebSockets.js: swapping the build (the registry repack for the
// upstream release) is the one-line dependency change in package.json.
import './uws-limits.js';
import {
  App,
  us_listen_socket_close,
  us_socket_local_port,
  type HttpRequest as UwsRequest,
  type HttpResponse as UwsResponse,
  type TemplatedApp,
  type WebSocket,
  type us_listen_socket,
  type us_socket,
} from 'uWebSockets.js';
import { jsonError, type HttpReply, type HttpRequest, type Route } from '../base/http.js';
import type { Publisher, Session, Socket } from './socket.js';
import {
  decodeParam,
  framingError,
  readBody,
  readHeaders,
  refuseFraming,
  writeReply,
} from './uws-http.js';
import type {
  EventStream,
  StreamDecision,
  UpgradeRequest,
  UpgradeResult,
  WebSocketHandlers,
} from './transport.js';

export interface TransportOptions {
  maxPayloadBytes: number;
  idleTimeoutS: number;
  maxBackpressureBytes: number;
  /** The client's address from the peer's and X-Forwarded-For (see `ClientAddresses`). */
  clientAddress: (peer: string, forwardedFor: string | undefined) => string;
  onError: (error: unknown, where: string) => void;
}

const decoder = new TextDecoder();

/** uWebSockets.js: WebSocket and HTTP on one port, topic publish for fanout. */
export class UwsTransport implements Publisher {
  readonly #app: TemplatedApp;
  readonly #options: TransportOptions;
  #listen: us_listen_socket | undefined;

  constructor(options: TransportOptions) {
    this.#app = App();
    this.#options = options;
  }

  websocket(path: string, handlers: WebSocketHandlers): void {
    const { onError } = this.#options;
    this.#app.ws<Session>(path, {
      maxPayloadLength: this.#options.maxPayloadBytes,
      idleTimeout: this.#options.idleTimeoutS,
      sendPingsAutomatically: true,
      maxBackpressure: this.#options.maxBackpressureBytes,
      closeOnBackpressureLimit: false,
      // Upgrades are decided synchronously, inside the handler. uWS closes some sockets upgraded
      // asynchronously (res.cork(() => res.upgrade(...)) after an await) right after their
      // open handler (uWebSockets issue #1928, fixed upstream by PR #1929 but not in this build);
      // anything slow, such as verifying a token, happens after the open instead.
      upgrade: (res, req, context) => {
        const headers = readHeaders(req);
        const framing = framingError(headers);
        if (framing) return refuseFraming(res, framing);
        const upgrade: UpgradeRequest = {
          query: new URLSearchParams(req.getQuery() ?? ''),
          header: (name) => headers.get(name),
          ip: this.#ip(res, headers),
        };
        let result: UpgradeResult;
        try {
          result = handlers.upgrade(upgrade);
        } catch (error) {
          onError(error, 'upgrade');
          result = { reject: jsonError(500, 'internal', 'upgrade failed') };
        }
        if ('reject' in result) return writeReply(res, result.reject);
        res.upgrade(
          result.session,
          headers.get('sec-websocket-key') ?? '',
          result.protocol,
          headers.get('sec-websocket-extensions') ?? '',
          context,
        );
      },
      open: (ws) => guard(onError, 'open', () => handlers.open(ws as unknown as Socket)),
      // As `guard` does, without a closure per frame.
      message: (ws, data, isBinary) => {
        try {
          handlers.message(ws as unknown as Socket, data, isBinary);
        } catch (error) {
          onError(error, 'message');
        }
      },
      close: (ws, code) => {
        ws.getUserData().closed = true;
        guard(onError, 'close', () => handlers.close(ws as unknown as Socket, code));
      },
      drain: (ws: WebSocket<Session>) =>
        guard(onError, 'drain', () => handlers.drain?.(ws as unknown as Socket)),
    });
  }

  /** Registers a route; a GET route answers HEAD too (its status and headers, no body). */
  route(route: Route): void {
    this.#route(route, route.method, false);
    if (route.method === 'get') this.#route(route, 'head', true);
  }

  #route(route: Route, method: 'head' | Route['method'], head: boolean): void {
    const names = [...route.pattern.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string);
    const register = this.#app[method].bind(this.#app) as (
      pattern: string,
      handler: (res: UwsResponse, req: UwsRequest) => void,
    ) => TemplatedApp;
    register(route.pattern, (res, req) => {
      const headers = readHeaders(req);
      const framing = framingError(headers);
      // The rest of the connection cannot be trusted to be framed as we read it: close it.
      if (framing) return refuseFraming(res, framing);
      const params: Record<string, string> = {};
      names.forEach((name, i) => (params[name] = decodeParam(req.getParameter(i) ?? '')));
      const request: HttpRequest = {
        method: req.getMethod(),
        path: req.getUrl(),
        query: new URLSearchParams(req.getQuery() ?? ''),
        params,
        header: (name) => headers.get(name),
        body: undefined,
        ip: this.#ip(res, headers),
      };
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      const respond = (reply: HttpReply): void => {
        if (!aborted) res.cork(() => writeReply(res, reply, head));
      };
      const run = (): void => {
        Promise.resolve()
          .then(() => route.handler(request))
          .then(respond, (error: unknown) => {
            this.#options.onError(error, `${request.method} ${route.pattern}`);
            respond(jsonError(500, 'internal', 'internal error'));
          });
      };
      const verb = request.method;
      if (verb === 'get' || verb === 'head' || verb === 'options' || verb === 'delete')
        return run();
      readBody(res, route.maxBodyBytes ?? 64 * 1024, (body) => {
        if (body === 'too-large')
          return respond(jsonError(413, 'body_too_large', 'request body is too large'));
        request.body = body;
        run();
      });
    });
  }

  /**
   * A long-lived response (server-sent events): `open` decides synchronously from the request and
   * either refuses with a reply or starts a stream it can write to until either side ends it.
   */
  streamRoute(pattern: string, open: (req: UpgradeRequest) => StreamDecision): void {
    this.#app.get(pattern, (res, req) => {
      const headers = readHeaders(req);
      const framing = framingError(headers);
      if (framing) return refuseFraming(res, framing);
      const decision = open({
        query: new URLSearchParams(req.getQuery() ?? ''),
        header: (name) => headers.get(name),
        ip: this.#ip(res, headers),
      });
      if ('reject' in decision) return writeReply(res, decision.reject);
      let ended = false;
      const stream: EventStream = {
        write: (chunk) => {
          if (ended) return false;
          let ok = false;
          res.cork(() => (ok = res.write(chunk)));
          return ok;
        },
        end: () => {
          if (ended) return;
          ended = true;
          res.cork(() => res.end());
          decision.onClose();
        },
        abort: () => {
          if (ended) return;
          ended = true;
          res.close();
          decision.onClose();
        },
        get open() {
          return !ended;
        },
      };
      res.onAborted(() => {
        if (ended) return;
        ended = true;
        decision.onClose();
      });
      res.writeStatus('200 OK');
      for (const [k, v] of Object.entries(decision.headers)) res.writeHeader(k, v);
      decision.onOpen(stream);
    });
  }

  #ip(res: UwsResponse, headers: Map<string, string>): string {
    const peer = decoder.decode(res.getRemoteAddressAsText());
    return this.#options.clientAddress(peer, headers.get('x-forwarded-for'));
  }

  publish(topic: string, frame: Uint8Array | string, isBinary: boolean): void {
    this.#app.publish(topic, frame, isBinary);
  }

  subscribers(topic: string): number {
    return this.#app.numSubscribers(topic);
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#app.listen(host, port, (socket) => {
        if (!socket) return reject(new Error(`cannot listen on ${host}:${port}`));
        this.#listen = socket;
        resolve(us_socket_local_port(socket as unknown as us_socket));
      });
    });
  }

  /** Stops accepting connections; open ones stay until closed. */
  stopListening(): void {
    if (this.#listen) us_listen_socket_close(this.#listen);
    this.#listen = undefined;
  }

  /** Closes everything, including open connections, at once. */
  close(): void {
    this.stopListening();
    this.#app.close();
  }
}

function guard(
  onError: (error: unknown, where: string) => void,
  where: string,
  fn: () => void,
): void {
  try {
    fn();
  } catch (error) {
    // A bug in one connection's handling must not take the process (and every viewer) down.
    onError(error, where);
  }
}
