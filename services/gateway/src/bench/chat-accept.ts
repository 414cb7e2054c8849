import { msgpackCodec } from '@roar/protocol';
import { Logger } from '@roar/runtime';
import { loadGatewayConfig } from '../base/config.js';
import type { Identity } from '../base/identity.js';
import { startEmbedded } from '../embedded.js';
import type { Session, Socket } from '../transport/socket.js';

/** Sockets that keep nothing: the bench measures the gateway's side of a frame, not a peer's. */
class NullSocket implements Socket {
  readonly #session: Session;
  sent = 0;

  constructor(session: Session) {
    this.#session = session;
  }

  send(): number {
    this.sent++;
    return 1;
  }
  subscribe(): boolean {
    return true;
  }
  unsubscribe(): boolean {
    return false;
  }
  isSubscribed(): boolean {
    return false;
  }
  end(): void {}
  close(): void {}
  getBufferedAmount(): number {
    return 0;
  }
  getUserData(): Session {
    return this.#session;
  }
  cork(cb: () => void): void {
    cb();
  }
}

export interface ChatAcceptResult {
  chats: number;
  accepted: number;
  /** CPU (user + system) of the whole process per chat frame, in µs: JavaScript, warm. */
  cpuUsPerChat: number;
  /** Replies written per chat frame (acks). */
  repliesPerChat: number;
  /** The measured window in µs of the monotonic clock, to cut a `--cpu-prof` profile with. */
  windowUs: [number, number];
}

/**
 * JavaScript per accepted chat message, warm and without a socket: an embedded gateway in this
 * process, `chatters` signed-in connections on fake sockets joined to one stream, and `chats`
 * chat frames (with a `ref`, as the SDK sends them) handed to the connection layer exactly as
 * uWS hands them over, `perTurn` per event-loop turn (so the bus deliveries, the fanout tick and
 * the log run as they do in service). It is the floor of what `loadtest/bench/chat-cost.mjs`
 * measures on a real gateway, where each frame also wakes the process with cold caches.
 * Run: `node services/gateway/dist/bench/chat-accept.js [chats] [perTurn]` after `npm run build`
 * (under `--cpu-prof`, `windowUs` cuts the profile to the measured chats).
 */
export async function measureChatAccept(
  chats = 20_000,
  chatters = 50,
  perTurn = 1,
): Promise<ChatAcceptResult> {
  const config = loadGatewayConfig({
    ROAR_MODE: 'embedded',
    ROAR_HOST: '127.0.0.1',
    ROAR_PORT: '0',
    ROAR_LOG_LEVEL: 'error',
    ROAR_JWT_SECRET: 'bench-secret-bench-secret-bench-secret',
    // The rate limits are not what is measured: at most, each chatter may send all it sends.
    ROAR_CHAT_RATE: '1000',
    ROAR_CHAT_BURST: '1000',
    ROAR_FRAME_RATE: '10000',
    ROAR_FRAME_BURST: '10000',
    ROAR_DRAIN_WINDOW_MS: '0',
  });
  const embedded = await startEmbedded(config, new Logger('error', { service: 'bench' }));
  const handler = embedded.gateway.connections;
  const sockets: NullSocket[] = [];
  try {
    for (let i = 0; i < chatters; i++) {
      const identity: Identity = {
        key: `u:chatter-${i}`,
        userId: `chatter-${i}`,
        name: `chatter-${i}`,
        roles: [],
        anonymous: false,
      };
      const ws = new NullSocket({
        id: `bench-${i}`,
        identity,
        signIn: undefined,
        ready: false,
        backlog: undefined,
        codec: msgpackCodec,
        ip: `127.0.0.${i + 2}`,
        streams: [],
        joining: undefined,
        open: false,
        closed: false,
        frames: undefined,
        floodDrops: 0,
        badFrames: 0,
        slowSince: undefined,
      });
      handler.open(ws);
      handler.message(ws, frame({ type: 'join', ref: 0, stream: 'bench' }));
      sockets.push(ws);
    }
    // Joins wait for the stream's first loads.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const texts = Array.from(
      { length: 1000 },
      (_, i) => `${(1_796_307_288_634 + i * 1.37).toFixed(2)} #${i} what a shot, that is going all`,
    );
    const send = (n: number, offset: number): void => {
      for (let i = offset; i < offset + n; i++) {
        const ws = sockets[i % chatters]!;
        const text = `${texts[i % 1000]!} ${i}`;
        handler.message(ws, frame({ type: 'chat', ref: i + 1, stream: 'bench', text }));
      }
    };
    const run = async (n: number, offset: number): Promise<void> => {
      for (let i = 0; i < n; i += perTurn) {
        send(Math.min(perTurn, n - i), offset + i);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await run(Math.ceil(chats / 5), 10_000_000);
    for (const ws of sockets) ws.sent = 0;
    const accepted0 = acceptedOf(await embedded.gateway.metrics.chat.get());
    const from = hrUs();
    const cpu0 = process.cpuUsage();
    await run(chats, 0);
    const cpu = process.cpuUsage(cpu0);
    const to = hrUs();
    const accepted = acceptedOf(await embedded.gateway.metrics.chat.get()) - accepted0;
    return {
      chats,
      accepted,
      cpuUsPerChat: Math.round(((cpu.user + cpu.system) / chats) * 10) / 10,
      repliesPerChat: sockets.reduce((n, ws) => n + ws.sent, 0) / chats,
      windowUs: [from, to],
    };
  } finally {
    await embedded.stop();
  }
}

const hrUs = (): number => Number(process.hrtime.bigint() / 1000n);

function frame(message: Parameters<typeof msgpackCodec.encodeClient>[0]): ArrayBuffer {
  const bytes = msgpackCodec.encodeClient(message) as Uint8Array;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

function acceptedOf(metric: {
  values: { labels: Record<string, unknown>; value: number }[];
}): number {
  return metric.values.find((v) => v.labels.result === 'accepted')?.value ?? 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [chats, perTurn] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(await measureChatAccept(chats || undefined, 50, perTurn || 1)));
  process.exit(0);
}
