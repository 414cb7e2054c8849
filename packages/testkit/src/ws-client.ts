import {
  codecs,
  type ClientMessage,
  type Codec,
  type CodecName,
  type ServerMessage,
  type StreamEvent,
} from '@roar/protocol';
import WebSocket from 'ws';
import { waitFor } from './wait.js';

export interface TestClientOptions {
  codec?: CodecName;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Query parameters added to the URL (`token`, `anon`...). */
  query?: Record<string, string>;
  /** Extra request headers for the upgrade (they win over the `token` option's). */
  headers?: Record<string, string>;
  /** Overrides the offered subprotocols (to test negotiation). */
  protocols?: string[];
}

export interface Closed {
  code: number;
  reason: string;
}

type Reply = Extract<ServerMessage, { ref?: number }>;

/**
 * A real WebSocket client (the `ws` package) that speaks Roar's protocol and records every frame
 * it receives, for end-to-end tests.
 */
export class TestClient {
  readonly codec: Codec;
  readonly socket: WebSocket;
  /** Every decoded server message, in arrival order. */
  readonly messages: ServerMessage[] = [];
  /** When each message of `messages` arrived (Date.now()), for latency measurements. */
  readonly arrivals: number[] = [];
  /** Raw frames that failed to decode (a server bug if ever non-empty). */
  readonly undecodable: unknown[] = [];
  /** Errors the socket reported (protocol errors, resets). */
  readonly errors: Error[] = [];
  readonly closed: Promise<Closed>;
  #nextRef = 1;
  #closedValue: Closed | undefined;

  private constructor(socket: WebSocket, codec: Codec) {
    this.socket = socket;
    this.codec = codec;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        const message = codec.decodeServer(isBinary ? new Uint8Array(data) : data.toString('utf8'));
        this.messages.push(message);
        this.arrivals.push(Date.now());
      } catch (error) {
        this.undecodable.push(error);
      }
    });
    socket.on('error', (error) => this.errors.push(error));
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.#closedValue = { code, reason: reason.toString('utf8') };
        resolve(this.#closedValue);
      });
    });
  }

  /** Opens a connection and waits for it to be open (not for the welcome). */
  static async connect(url: string, options: TestClientOptions = {}): Promise<TestClient> {
    const codec = codecs[options.codec ?? 'msgpack'];
    const target = new URL(url);
    for (const [k, v] of Object.entries(options.query ?? {})) target.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    Object.assign(headers, options.headers);
    const socket = new WebSocket(target, options.protocols ?? [codec.subprotocol], { headers });
    const client = new TestClient(socket, codec);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => {
        reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
      });
    });
    return client;
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  get closeInfo(): Closed | undefined {
    return this.#closedValue;
  }

  send(message: ClientMessage): void {
    const frame = this.codec.encodeClient(message);
    this.socket.send(frame, { binary: typeof frame !== 'string' });
  }

  /** Sends bytes or text as they are, to test what the server does with bad input. */
  sendRaw(data: Uint8Array | string, binary = typeof data !== 'string'): void {
    this.socket.send(data, { binary });
  }

  /** Sends `message` with a fresh `ref` and resolves with the reply that carries it. */
  async request(message: ClientMessage, timeoutMs = 5000): Promise<Reply> {
    const ref = message.ref ?? this.#nextRef++;
    this.send({ ...message, ref });
    return (await this.waitForMessage(
      (m) => 'ref' in m && m.ref === ref,
      timeoutMs,
      `reply to ref ${ref} (${message.type})`,
    )) as Reply;
  }

  /** The first message so far or to come that matches `predicate`. */
  async waitForMessage<T extends ServerMessage>(
    predicate: (m: ServerMessage) => m is T,
    timeoutMs?: number,
    what?: string,
  ): Promise<T>;
  async waitForMessage(
    predicate: (m: ServerMessage) => boolean,
    timeoutMs?: number,
    what?: string,
  ): Promise<ServerMessage>;
  async waitForMessage(
    predicate: (m: ServerMessage) => boolean,
    timeoutMs = 5000,
    what = 'a matching message',
  ): Promise<ServerMessage> {
    let found: ServerMessage | undefined;
    await waitFor(
      () => {
        found = this.messages.find(predicate);
        return found !== undefined;
      },
      { timeoutMs, message: what },
    );
    return found as ServerMessage;
  }

  /** Every event received in `batch` frames for `stream`, in order. */
  events(stream: string): StreamEvent[] {
    const out: StreamEvent[] = [];
    for (const m of this.messages)
      if (m.type === 'batch' && m.stream === stream) out.push(...m.events);
    return out;
  }

  /** Events of one type for `stream`. */
  eventsOf<K extends StreamEvent['type']>(
    stream: string,
    type: K,
  ): Extract<StreamEvent, { type: K }>[] {
    return this.events(stream).filter(
      (e): e is Extract<StreamEvent, { type: K }> => e.type === type,
    );
  }

  async close(code = 1000): Promise<Closed> {
    if (
      this.socket.readyState === WebSocket.OPEN ||
      this.socket.readyState === WebSocket.CONNECTING
    ) {
      this.socket.close(code);
    }
    return this.closed;
  }

  /** Drops the TCP connection without a close handshake, like a phone losing signal. */
  terminate(): void {
    this.socket.terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.isOpen) this.terminate();
  }
}
