import { describe, expect, it } from 'vitest';
import { Admission, type AdmissionOptions } from './admission.js';
import { GatewayMetrics } from '../base/metrics.js';

const SECRET = 'admission-test-secret-0123456789abcdef';

function admission(lingerMs: number, over: Partial<AdmissionOptions> = {}): Admission {
  const options = { ratePerS: 1000, burst: 1000, maxConnections: 100, maxPerIp: 2, retryAfterS: 1 };
  const tickets = { ticketSecret: SECRET, ticketWindowMs: 5000 };
  return new Admission({ ...options, lingerMs, ...tickets, ...over }, new GatewayMetrics(), 0);
}

describe('Admission', () => {
  it('counts an aborted socket against its address until its linger time has passed', () => {
    const a = admission(1000);
    a.opened('1.2.3.4');
    a.opened('1.2.3.4');
    expect(a.check('1.2.3.4', 0)).toMatchObject({ ok: false, reason: 'max_per_ip' });
    // One is aborted as a slow consumer: the kernel may still hold it.
    a.lingering('1.2.3.4', 100);
    a.closedConnection('1.2.3.4');
    expect(a.check('1.2.3.4', 500)).toMatchObject({ ok: false, reason: 'max_per_ip' });
    expect(a.check('5.6.7.8', 500)).toEqual({ ok: true });
    expect(a.lingeringCount).toBe(1);
    expect(a.check('1.2.3.4', 1100)).toEqual({ ok: true });
    expect(a.lingeringCount).toBe(0);
  });

  it('frees the slot at once with a linger time of 0', () => {
    const a = admission(0);
    a.opened('1.2.3.4');
    a.opened('1.2.3.4');
    a.lingering('1.2.3.4', 0);
    a.closedConnection('1.2.3.4');
    expect(a.check('1.2.3.4', 0)).toEqual({ ok: true });
  });

  it('admits a storm in arrival order at the admission rate, ticket holders first', () => {
    // 10 a second, a burst of 2: of 20 arrivals at t=0, two get in, 18 get tickets.
    const a = admission(0, { ratePerS: 10, burst: 2, maxPerIp: 1000 });
    const ticketed: { ip: string; ticket: string; retryAfterMs: number; position: number }[] = [];
    for (let i = 0; i < 20; i++) {
      const ip = `10.0.0.${i}`;
      const v = a.check(ip, 0);
      if (v.ok) continue;
      // The first refused for the rate; after it, newcomers queue behind the tickets out.
      expect(v.reason).toBe(ticketed.length === 0 ? 'rate' : 'queue');
      if (!v.ticket) throw new Error('a refusal for the rate carries a ticket');
      ticketed.push({ ip, ...v.ticket });
    }
    expect(ticketed).toHaveLength(18);
    // Come-back times 100 ms apart, in arrival order; positions count up.
    expect(ticketed.map((t) => t.retryAfterMs)).toEqual(ticketed.map((_, i) => (i + 1) * 100));
    expect(ticketed.map((t) => t.position)).toEqual(ticketed.map((_, i) => i + 1));
    // The first holder comes at its time and pays with the token that accrued: a newcomer just
    // after is placed behind the whole queue.
    const [first, , , , , sixth] = ticketed;
    if (!first || !sixth) throw new Error('unreachable');
    expect(a.check(first.ip, 100, first.ticket)).toEqual({ ok: true });
    const late = a.check('10.9.9.9', 150);
    expect(late).toMatchObject({ ok: false, reason: 'queue' });
    expect(!late.ok && late.ticket?.retryAfterMs).toBe(1900 - 150);
    // A holder gets in at its time, not before (while the holders before it use the rate).
    expect(a.check(sixth.ip, 150, sixth.ticket)).toMatchObject({ ok: false, reason: 'early' });
    expect(a.check(sixth.ip, 600, sixth.ticket)).toEqual({ ok: true });
    // Places nobody came back for (the 2nd to the 5th) left their tokens to newcomers.
    expect(a.check('10.6.6.6', 1000)).toEqual({ ok: true });
  });

  it('refuses forged, altered, moved and expired tickets as no ticket', () => {
    const a = admission(0, { ratePerS: 1, burst: 1, maxPerIp: 1000 });
    expect(a.check('1.1.1.1', 0)).toEqual({ ok: true });
    const v = a.check('1.1.1.2', 0);
    if (v.ok || !v.ticket) throw new Error('expected a ticket');
    expect(a.check('1.1.1.2', 10, v.ticket.ticket)).toMatchObject({ reason: 'early' });
    const [body, mac] = v.ticket.ticket.split('.');
    const fields = Buffer.from(body ?? '', 'base64url')
      .toString()
      .split('.');
    // Claim an earlier come-back time (0 rather than 1000) with the same MAC.
    expect(fields[3]).toBe('1000');
    fields[3] = '0';
    const altered = `${Buffer.from(fields.join('.')).toString('base64url')}.${mac}`;
    const foreign = admission(0, { ticketSecret: 'x'.repeat(40) }).ticket('1.1.1.2', 0)?.ticket;
    if (!foreign) throw new Error('expected a ticket');
    for (const [ip, ticket] of [
      ['1.1.1.2', altered],
      ['1.1.1.2', foreign],
      ['1.1.1.2', 'garbage'],
      ['1.1.1.3', v.ticket.ticket],
    ] as const) {
      expect(a.check(ip, 10, ticket), `${ip} ${ticket}`).toMatchObject({ reason: 'queue' });
    }
    expect(a.check('1.1.1.2', 1000, v.ticket.ticket)).toEqual({ ok: true });
    // Valid through its window (come back at 0, window 5 s), worthless after.
    for (const [at, expected] of [
      [5000, { ok: true }],
      [5001, { ok: false, reason: 'rate' }],
    ] as const) {
      const b = admission(0, { ratePerS: 10, burst: 1, maxPerIp: 1000 });
      const mine = b.ticket('2.2.2.2', 0)?.ticket;
      expect(b.check('9.9.9.9', at)).toEqual({ ok: true });
      expect(b.check('2.2.2.2', at, mine)).toMatchObject(expected);
    }
  });

  it('keeps a holder its place while the gateway is closed, and admits it first after', () => {
    const a = admission(0, { ratePerS: 10, burst: 1, maxPerIp: 1000, retryAfterS: 2 });
    a.setClosed(true);
    const v = a.check('3.3.3.3', 0);
    if (v.ok || !v.ticket) throw new Error('expected a ticket');
    expect(v.reason).toBe('closed');
    expect(v.ticket.retryAfterMs).toBe(2000);
    const back = a.check('3.3.3.3', 2000, v.ticket.ticket);
    if (back.ok || !back.ticket) throw new Error('still closed: a new ticket');
    expect(back.ticket.retryAfterMs).toBe(2000);
    a.setClosed(false);
    expect(a.check('3.3.3.3', 4000, back.ticket.ticket)).toEqual({ ok: true });
    expect(a.check('4.4.4.4', 4000)).toMatchObject({ ok: false, reason: 'queue' });
  });

  it('bounds the queue: past MAX_QUEUE_MS newcomers get no place, holders keep theirs', () => {
    const a = admission(0, { ratePerS: 1, burst: 1, maxPerIp: 1_000_000 });
    let issued = 0;
    let first: string | undefined;
    while (issued < 400) {
      const t = a.ticket(`10.1.${issued >> 8}.${issued & 255}`, 0);
      if (!t) break;
      first ??= t.ticket;
      issued++;
    }
    // One a second, five minutes: 301 places (0 s to 300 s), then none.
    expect(issued).toBe(301);
    // The bucket's one token is unclaimed capacity: the first newcomer gets it; the next is
    // refused, and with the queue full, gets no place.
    expect(a.check('10.2.0.1', 0)).toEqual({ ok: true });
    const refused = a.check('10.2.0.2', 0);
    expect(refused).toMatchObject({ ok: false, reason: 'queue' });
    expect(!refused.ok && refused.ticket).toBeUndefined();
    // A holder keeps its place however long the queue.
    expect(a.ticket('10.1.0.0', 0, first)).toMatchObject({ retryAfterMs: 0 });
  });

  it('lets a holder in early only on capacity that places nobody claimed left', () => {
    // 2 a second (places 500 ms apart), a burst of 2: spare capacity is a whole token saved up.
    const a = admission(0, { ratePerS: 2, burst: 2, maxPerIp: 1000 });
    for (let i = 0; i < 2; i++) expect(a.check(`10.0.0.${i}`, 0)).toEqual({ ok: true });
    const v = a.check('10.0.1.1', 0);
    const w = a.check('10.0.1.2', 0);
    if (v.ok || w.ok || !v.ticket || !w.ticket) throw new Error('expected tickets');
    expect([v.ticket.retryAfterMs, w.ticket.retryAfterMs]).toEqual([500, 1000]);
    // Before the first holder's time the bucket holds under a token: the second must wait.
    expect(a.check('10.0.1.2', 300, w.ticket.ticket)).toMatchObject({ reason: 'early' });
    expect(a.check('10.0.1.3', 400)).toMatchObject({ ok: false, reason: 'queue' });
    // The first holder never came at 500: by 600 its share is saved up, and the second holder
    // need not sit out the phantom's place.
    expect(a.check('10.0.1.2', 600, w.ticket.ticket)).toEqual({ ok: true });
  });
});
