import { describe, expect, it } from 'vitest';
import type { Admission } from './admission.js';
import { SWEEP_EVERY_MS, SWEEP_ROUND_MS, SlowClients } from './slow-clients.js';
import { GatewayMetrics } from '../base/metrics.js';
import { RecordingSocket, fakeSession } from '../../test/fake-socket.js';

const SWEEPS_PER_ROUND = SWEEP_ROUND_MS / SWEEP_EVERY_MS;

/**
 * A socket whose send buffer a test sets, counting how often it is read. Closing it marks its
 * session closed (as the close handler does), and reading a closed socket throws, as in uWS.
 */
class BufferedSocket extends RecordingSocket {
  buffered = 0;
  reads = 0;
  closed = false;

  override getBufferedAmount(): number {
    if (this.closed) throw new Error('Invalid access of closed uWS.WebSocket/SSLWebSocket.');
    this.reads++;
    return this.buffered;
  }
  override close(): void {
    this.closed = true;
    this.getUserData().open = false;
  }
}

function setup(count: number) {
  const moves: { id: string; toPriority: boolean }[] = [];
  const slow = new SlowClients(
    {
      softBytes: 1000,
      hardBytes: 10_000,
      maxSlowMs: 5000,
      moveTier: (ws, _stream, toPriority) => moves.push({ id: ws.getUserData().id, toPriority }),
      admission: { lingering: () => undefined } as unknown as Admission,
      now: () => 0,
    },
    new GatewayMetrics(),
  );
  const sockets = new Set<BufferedSocket>();
  for (let i = 0; i < count; i++) sockets.add(socket(`s${i}`));
  return { slow, sockets, moves };
}

function socket(id: string): BufferedSocket {
  return new BufferedSocket(fakeSession(id, { streams: ['live'] }));
}

describe('SlowClients', () => {
  it('reads every send buffer once per round, a share of them per sweep', () => {
    const { slow, sockets } = setup(10);
    let i = 0;
    for (const ws of sockets) ws.buffered = ++i; // 1 + 2 + … + 10 = 55
    const totals: number[] = [];
    for (let k = 0; k < SWEEPS_PER_ROUND; k++) totals.push(slow.sweep(sockets, 0));
    expect([...sockets].map((ws) => ws.reads)).toEqual(Array(10).fill(1));
    // The pressure signal is the last whole round's sum: none until the first round ends.
    expect(totals.at(-1)).toBe(55);
    expect(totals.slice(0, -1)).toEqual(Array(SWEEPS_PER_ROUND - 1).fill(0));
    for (let k = 0; k < SWEEPS_PER_ROUND; k++) slow.sweep(sockets, 0);
    expect([...sockets].map((ws) => ws.reads)).toEqual(Array(10).fill(2));
    // Per sweep: at most a share (rounded up), never every socket.
    const before = [...sockets].reduce((n, ws) => n + ws.reads, 0);
    slow.sweep(sockets, 0);
    const after = [...sockets].reduce((n, ws) => n + ws.reads, 0);
    expect(after - before).toBe(Math.ceil(10 / SWEEPS_PER_ROUND));
  });

  it('demotes, promotes and closes within a round of a buffer crossing a limit', () => {
    const { slow, sockets, moves } = setup(8);
    const [a, b] = [...sockets] as [BufferedSocket, BufferedSocket];
    a.buffered = 2000; // over soft
    b.buffered = 20_000; // over hard
    for (let k = 0; k < SWEEPS_PER_ROUND; k++) slow.sweep(sockets, 0);
    expect(moves).toEqual([{ id: 's0', toPriority: true }]);
    expect(slow.slow).toBe(1);
    expect(b.closed).toBe(true);
    a.buffered = 100; // below a quarter of soft
    for (let k = 0; k < SWEEPS_PER_ROUND; k++) slow.sweep(sockets, 0);
    expect(moves.at(-1)).toEqual({ id: 's0', toPriority: false });
    expect(slow.slow).toBe(0);
  });

  it('reads the sockets open when a round starts; those opened meanwhile in the next round', () => {
    const { slow, sockets } = setup(8);
    slow.sweep(sockets, 0); // 2 of 8 read
    const all = [...sockets];
    const gone = all[7] as BufferedSocket;
    gone.close();
    sockets.delete(gone);
    const late = socket('late');
    sockets.add(late);
    for (let k = 1; k < SWEEPS_PER_ROUND; k++) slow.sweep(sockets, 0);
    expect(gone.reads).toBe(0);
    expect(late.reads).toBe(0);
    expect(all.slice(0, 7).map((ws) => ws.reads)).toEqual(Array(7).fill(1));
    late.buffered = 5;
    let buffered = 0;
    for (let k = 0; k < SWEEPS_PER_ROUND; k++) buffered = slow.sweep(sockets, 0);
    expect(late.reads).toBe(1);
    expect(buffered).toBe(5);
    // With nothing open, a round is empty and nothing is buffered.
    expect(slow.sweep(new Set(), 0)).toBe(0);
  });

  it('goes on past a socket whose read throws, instead of reading it again at every sweep', () => {
    const { slow, sockets } = setup(8);
    const broken = [...sockets][0] as BufferedSocket;
    broken.closed = true; // closed without its close handler having run: the read throws
    expect(() => slow.sweep(sockets, 0)).toThrow(/closed/);
    // The round goes on from the next socket (the throw cost the rest of that sweep's share).
    for (let k = 0; k < SWEEPS_PER_ROUND; k++) slow.sweep(sockets, 0);
    expect([...sockets].slice(1).map((ws) => ws.reads)).toEqual(Array(7).fill(1));
  });
});
