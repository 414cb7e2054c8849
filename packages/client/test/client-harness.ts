import type { ChatEvent, JoinedMessage, PublicSettings } from '@roar/protocol';
import { memoryStorage } from '../src/anon-id.js';
import { RoarClient } from '../src/index.js';
import type { RoarClientEvents } from '../src/events.js';
import type { RoarClientOptions } from '../src/options.js';
import { FakeClock, FakeNetwork, settle, type FakeTransport } from './fakes.js';

export type Seen = { [K in keyof RoarClientEvents]: RoarClientEvents[K][] };

function listen<K extends keyof RoarClientEvents>(client: RoarClient, seen: Seen, type: K): void {
  client.on(type, (event) => seen[type].push(event));
}

/** Records every event the client emits, by type. */
export function record(client: RoarClient): Seen {
  const seen: Seen = {
    status: [],
    welcome: [],
    joined: [],
    chat: [],
    reactions: [],
    viewers: [],
    error: [],
    gap: [],
    delete: [],
    clear: [],
    pin: [],
    announcement: [],
    user_removed: [],
    settings: [],
    sampling: [],
    degradation: [],
  };
  for (const type of Object.keys(seen) as (keyof RoarClientEvents)[]) listen(client, seen, type);
  return seen;
}

export interface Harness {
  client: RoarClient;
  net: FakeNetwork;
  clock: FakeClock;
  seen: Seen;
  /** Connects and has the server welcome the client; returns that connection. */
  open(): Promise<FakeTransport>;
  /** Lets the pending reconnect timer fire and the client dial; returns the new connection. */
  redial(): Promise<FakeTransport>;
}

/** A client on a fake network and a fake clock, with jitter fixed at half the ceiling. */
export function harness(options: Partial<RoarClientOptions> = {}): Harness {
  const net = new FakeNetwork();
  const clock = new FakeClock();
  const client = new RoarClient({
    url: 'wss://roar.test/ws',
    transport: net.factory,
    clock,
    random: () => 0.5,
    storage: memoryStorage(),
    ...options,
    codec: options.codec ?? 'json',
  });
  const seen = record(client);
  const h: Harness = {
    client,
    net,
    clock,
    seen,
    async open() {
      const connected = client.connect();
      await settle();
      net.last.welcome();
      await connected;
      return net.last;
    },
    async redial() {
      const before = net.transports.length;
      const status = seen.status.at(-1);
      if (status?.state !== 'reconnecting') throw new Error('the client is not reconnecting');
      clock.advance(status.delayMs ?? 0);
      await settle();
      if (net.transports.length !== before + 1) throw new Error('the client did not redial');
      return net.last;
    },
  };
  return h;
}

let ids = 0;
/** A chat event as the server would send it. */
export function chat(text: string, ts = 1_800_000_000_000, id = `m${++ids}`): ChatEvent {
  return { type: 'chat', id, ts, user: { id: 'u', name: 'U' }, text };
}

/** A stream's rules as a server would send them in `joined`. */
export const settings: PublicSettings = {
  chatEnabled: true,
  slowModeS: 0,
  emoteOnly: false,
  subscribersOnly: false,
  followersOnly: false,
  uniqueChat: false,
  maxLength: 500,
  reactions: ['🔥'],
  reactionsEnabled: true,
  links: 'allow',
};

/**
 * The server answers the client's last join on `t`: one viewer, no history, no pin, the rules
 * above; `fields` override any of it.
 */
export function answerJoin(
  t: FakeTransport,
  stream: string,
  fields: Partial<Omit<JoinedMessage, 'type' | 'ref' | 'stream'>> = {},
): void {
  const ref = t.last('join').ref;
  t.push({
    type: 'joined',
    ...(ref !== undefined ? { ref } : {}),
    stream,
    viewers: { total: 1, text: '1 watching' },
    history: [],
    resumed: false,
    gap: false,
    reactions: [],
    settings,
    pinned: null,
    ...fields,
  });
}
