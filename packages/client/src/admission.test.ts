import { describe, expect, it } from 'vitest';
import { admissionUrl, parsePlace } from './admission.js';
import { harness } from '../test/client-harness.js';
import { settle } from '../test/fakes.js';

/** An admission endpoint that answers from a list, recording the URLs asked. */
function endpoint(answers: unknown[]) {
  const asked: string[] = [];
  const fetch = async (url: string) => {
    asked.push(url);
    const next = answers.shift();
    if (next instanceof Error) throw next;
    return { ok: next !== undefined, json: async () => next };
  };
  return { asked, fetch };
}

describe('fair admission in the SDK', () => {
  it('after a refused dial waits for its place, shows the position, and dials with the ticket', async () => {
    const e = endpoint([
      { ticket: 't1', position: 42, retryAfterMs: 3000 },
      { ticket: 't1b', position: 3, retryAfterMs: 200 },
    ]);
    const h = harness({ admission: e.fetch });
    void h.client.connect().catch(() => undefined);
    await settle();
    // Refused before any welcome (a browser sees only 1006).
    h.net.last.drop(1006);
    await settle();
    expect(e.asked).toEqual(['https://roar.test/v1/admission']);
    expect(h.seen.status.at(-1)).toMatchObject({
      state: 'reconnecting',
      position: 42,
      delayMs: 3000,
    });
    const dials = h.net.transports.length;
    h.clock.advance(2999);
    await settle();
    expect(h.net.transports.length).toBe(dials);
    h.clock.advance(1);
    await settle();
    expect(h.net.last.request).toMatchObject({ ticket: 't1' });

    // Refused again at its time: it asks with its ticket (keeping its place), and waits at
    // least the backoff delay too.
    h.net.last.drop(1006);
    await settle();
    expect(e.asked[1]).toBe('https://roar.test/v1/admission?ticket=t1');
    const status = h.seen.status.at(-1);
    expect(status).toMatchObject({ state: 'reconnecting', position: 3 });
    expect(status?.delayMs).toBeGreaterThanOrEqual(200);
    h.clock.advance(status?.delayMs ?? 0);
    await settle();
    expect(h.net.last.request).toMatchObject({ ticket: 't1b' });
    h.net.last.welcome();
    await settle();
    expect(h.client.state).toBe('open');

    // Once in, the ticket is done with: a later drop of an open connection is an ordinary one.
    h.net.last.drop(1006);
    await settle();
    expect(e.asked).toHaveLength(2);
    expect(h.seen.status.at(-1)).not.toHaveProperty('position');
    h.clock.advance(h.seen.status.at(-1)?.delayMs ?? 0);
    await settle();
    expect(h.net.last.request?.ticket).toBeUndefined();
  });

  it('falls back to the ordinary backoff when the endpoint fails or answers nonsense', async () => {
    const e = endpoint([new Error('offline'), { ticket: '', position: 1, retryAfterMs: 5 }]);
    const h = harness({ admission: e.fetch });
    void h.client.connect().catch(() => undefined);
    await settle();
    for (let i = 0; i < 2; i++) {
      h.net.last.drop(1006);
      await settle();
      const status = h.seen.status.at(-1);
      expect(status).toMatchObject({ state: 'reconnecting', attempt: i + 1 });
      expect(status).not.toHaveProperty('position');
      h.clock.advance(status?.delayMs ?? 0);
      await settle();
      expect(h.net.last.request?.ticket).toBeUndefined();
    }
  });

  it('builds the endpoint next to the WebSocket one and believes only sane answers', () => {
    expect(admissionUrl('ws://h:8080/prefix/ws?x=1', 'a.b')).toBe(
      'http://h:8080/prefix/v1/admission?ticket=a.b',
    );
    expect(parsePlace({ ticket: 'x', position: 2.4, retryAfterMs: 1e12 })).toEqual({
      ticket: 'x',
      position: 2,
      retryAfterMs: 300_000,
    });
    expect(parsePlace({ ticket: 'x', position: -1, retryAfterMs: 1 })).toBeUndefined();
    expect(parsePlace({ ticket: 'x', position: 1, retryAfterMs: Number.NaN })).toBeUndefined();
    expect(parsePlace('x')).toBeUndefined();
  });
});
