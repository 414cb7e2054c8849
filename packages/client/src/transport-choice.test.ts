import { describe, expect, it } from 'vitest';
import { FakeTransport } from '../test/fakes.js';
import { TransportChoice } from './transport-choice.js';
import type { Transport } from './transport.js';

/** Transports tagged by the factory that made them. */
function tagged(kind: string): () => Transport {
  return () => Object.assign(new FakeTransport(), { kind });
}

function choice(fallbackAfter = 3): TransportChoice {
  return new TransportChoice({ websocket: tagged('ws'), sse: tagged('sse'), fallbackAfter });
}

/** Which transport each of `outcomes.length` dials used, feeding each its outcome. */
function dials(c: TransportChoice, outcomes: boolean[]): (string | undefined)[] {
  return outcomes.map((welcomed) => {
    const kind = c.next().kind;
    c.settled(welcomed);
    return kind;
  });
}

describe('TransportChoice', () => {
  it('stays on the WebSocket while it keeps being welcomed, whatever drops follow', () => {
    expect(dials(choice(), [true, true, false, false, true, false, false])).toEqual(
      Array(7).fill('ws'),
    );
  });

  it('falls back after `fallbackAfter` WebSocket dials in a row without a welcome', () => {
    expect(dials(choice(3), [false, false, false, true])).toEqual(['ws', 'ws', 'ws', 'sse']);
  });

  it('keeps the fallback once it was welcomed while the WebSocket failed', () => {
    const c = choice(2);
    dials(c, [false, false, true]);
    expect(dials(c, [false, false, false, false, true])).toEqual(Array(5).fill('sse'));
  });

  it('goes back to the WebSocket when the fallback fails as often (the server was down)', () => {
    expect(dials(choice(2), [false, false, false, false, false, true])).toEqual([
      'ws',
      'ws',
      'sse',
      'sse',
      'ws',
      'ws',
    ]);
  });

  it('uses the only transport there is', () => {
    const sseOnly = new TransportChoice({
      websocket: undefined,
      sse: tagged('sse'),
      fallbackAfter: 1,
    });
    expect(dials(sseOnly, [false, false, true])).toEqual(['sse', 'sse', 'sse']);
    const wsOnly = new TransportChoice({
      websocket: tagged('ws'),
      sse: undefined,
      fallbackAfter: 1,
    });
    expect(dials(wsOnly, [false, false])).toEqual(['ws', 'ws']);
  });
});
