import { describe, expect, it } from 'vitest';
import type { Transport, TransportListener } from '../src/transport.js';

/** The server's side of the one connection a transport under test dialled. */
export interface TransportPeer {
  /** The connection opens, ready to carry frames both ways. */
  accept(): void;
  /** One text frame from the server. */
  push(frame: string): void;
  /** The server closes the connection with `code` and `reason`. */
  end(code: number, reason: string): void;
  /** The connection is lost without a close from the server (a dropped network). */
  drop(): void;
  /** The frames the server has received, in order (answering whatever must be answered). */
  received(): Promise<string[]>;
  /** True once the transport has closed its side. */
  closedByClient(): boolean;
}

/** A transport on a fake network the test drives: each call makes a fresh one. */
export interface TransportFixture {
  transport: Transport;
  /** Opens `transport` with `listener` and returns the server's side (undefined if the dial threw). */
  open(listener: TransportListener): TransportPeer | undefined;
  /** Makes the next dial throw in the constructor, as a blocked port or scheme does. */
  failNextDial(): void;
  /** Lets queued microtasks and pending I/O callbacks run. */
  settle(): Promise<void>;
}

/** What the transport told its listener, as readable strings. */
function recorder(): { log: string[]; listener: TransportListener } {
  const log: string[] = [];
  return {
    log,
    listener: {
      open: () => log.push('open'),
      message: (data) => log.push(`message ${typeof data === 'string' ? data : '<binary>'}`),
      close: (code, reason) => log.push(`close ${code}${reason ? ` ${reason}` : ''}`),
    },
  };
}

function opened(fixture: () => TransportFixture) {
  const fx = fixture();
  const { log, listener } = recorder();
  const peer = fx.open(listener);
  if (!peer) throw new Error('the dial failed');
  return { fx, peer, log };
}

/**
 * The guarantees written on `Transport` (transport.ts), run against every transport the SDK
 * ships: at most one `open`, then frames in the server's order, then exactly one `close`, even
 * when the connection never opened; nothing after the client's own `close()`; `send` is false
 * unless the connection is open.
 */
export function describeTransportContract(name: string, fixture: () => TransportFixture): void {
  describe(`Transport contract: ${name}`, () => {
    it('opens once, delivers frames in order, then closes once with the server’s code', () => {
      const { peer, log } = opened(fixture);
      peer.accept();
      peer.push('{"n":1}');
      peer.push('{"n":2}');
      peer.end(4000, 'server restarting');
      // Whatever the network does after the close, the listener has heard its last.
      peer.push('{"n":3}');
      peer.end(4001, 'again');
      peer.drop();
      expect(log).toEqual([
        'open',
        'message {"n":1}',
        'message {"n":2}',
        'close 4000 server restarting',
      ]);
    });

    it('ends in one 1006 close when the connection drops without a close from the server', () => {
      const { peer, log } = opened(fixture);
      peer.accept();
      peer.drop();
      peer.drop();
      expect(log.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['open', 'close 1006']);
    });

    it('ends in exactly one close, with no open, when the connection never opened', () => {
      const { peer, log } = opened(fixture);
      peer.drop();
      peer.accept();
      peer.push('{"late":true}');
      expect(log.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['close 1006']);
    });

    it('sends only while open, and the server receives frames in the order sent', async () => {
      const { fx, peer } = opened(fixture);
      expect(fx.transport.send('{"early":true}')).toBe(false);
      peer.accept();
      for (const ref of [1, 2, 3]) expect(fx.transport.send(`{"ref":${ref}}`)).toBe(true);
      expect(await peer.received()).toEqual(['{"ref":1}', '{"ref":2}', '{"ref":3}']);
      peer.end(4000, 'bye');
      expect(fx.transport.send('{"ref":4}')).toBe(false);
    });

    it('reports nothing after the client closes it, and sends nothing more', async () => {
      const { fx, peer, log } = opened(fixture);
      peer.accept();
      peer.push('{"n":1}');
      fx.transport.close(1000, 'client closed');
      expect(peer.closedByClient()).toBe(true);
      peer.push('{"n":2}');
      peer.end(1000, 'client closed');
      peer.drop();
      await fx.settle();
      expect(log).toEqual(['open', 'message {"n":1}']);
      expect(fx.transport.send('{"ref":1}')).toBe(false);
    });

    it('ends in exactly one abnormal close, a tick later, when the dial throws', async () => {
      const fx = fixture();
      fx.failNextDial();
      const { log, listener } = recorder();
      expect(fx.open(listener)).toBeUndefined();
      // Never inside `open()`: the caller may not be ready for a close yet.
      expect(log).toEqual([]);
      await fx.settle();
      expect(log.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['close 1006']);
      expect(fx.transport.send('{"ref":1}')).toBe(false);
    });
  });
}
