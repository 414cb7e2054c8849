import { describe, expect, it } from 'vitest';
import { AnonymousIds, addressGroup, anonIdSecret } from './anonymous.js';

const SECRET = 's'.repeat(32);
const HOUR = 60 * 60_000;

describe('AnonymousIds', () => {
  it('shows a device under an id derived from its anon id with the secret, never the anon id', () => {
    const ids = new AnonymousIds({ secret: SECRET, perAddress: 8 });
    const a = ids.identify('10.0.0.1', 'device-12345678', 0).key;
    expect(a).toMatch(/^a:[A-Za-z0-9_-]{16}$/);
    expect(a).not.toContain('device');
    // The same device from another address keeps its id; another secret gives another one.
    expect(ids.identify('10.0.0.2', 'device-12345678', 0).key).toBe(a);
    const other = new AnonymousIds({ secret: 't'.repeat(32), perAddress: 8 });
    expect(other.identify('10.0.0.1', 'device-12345678', 0).key).not.toBe(a);
    // Without an anon id: a fresh random id each time.
    const c1 = ids.identify('10.0.0.1', undefined, 0).key;
    expect(c1).toMatch(/^c:/);
    expect(ids.identify('10.0.0.1', undefined, 0).key).not.toBe(c1);
  });

  it('caps the distinct identities of one address per hour; the rest share one', () => {
    const ids = new AnonymousIds({ secret: SECRET, perAddress: 2 });
    const first = ids.identify('10.0.0.1', 'device-aaaaaaaa', 0).key;
    const second = ids.identify('10.0.0.1', 'device-bbbbbbbb', 0).key;
    const third = ids.identify('10.0.0.1', 'device-cccccccc', 0).key;
    const fourth = ids.identify('10.0.0.1', undefined, 0).key;
    expect(new Set([first, second, third]).size).toBe(3);
    expect(fourth).toBe(third);
    // Ids already counted keep coming back as themselves; other addresses are not affected.
    expect(ids.identify('10.0.0.1', 'device-aaaaaaaa', 10).key).toBe(first);
    expect(ids.identify('10.0.0.9', 'device-cccccccc', 10).key).not.toBe(third);
    // An hour later the slots are free again.
    expect(ids.identify('10.0.0.1', 'device-cccccccc', HOUR + 20).key).not.toBe(third);
  });

  it('keeps an identity counted for a window from when it was last seen, not first', () => {
    const ids = new AnonymousIds({ secret: SECRET, perAddress: 2 });
    const MIN = 60_000;
    const a = ids.identify('10.0.0.1', 'device-aaaaaaaa', 0).key;
    const b = ids.identify('10.0.0.1', 'device-bbbbbbbb', 30 * MIN).key;
    expect(ids.identify('10.0.0.1', 'device-aaaaaaaa', 50 * MIN).key).toBe(a);
    // 61 minutes: a (seen at 50) and b (at 30) still hold both slots, though a came first.
    const over = ids.identify('10.0.0.1', 'device-cccccccc', 61 * MIN).key;
    expect([a, b]).not.toContain(over);
    expect(ids.identify('10.0.0.1', undefined, 61 * MIN).key).toBe(over);
    expect(ids.size.entries).toBe(2);
    // 91 minutes: b has gone, a has not; c takes b's slot.
    const c = ids.identify('10.0.0.1', 'device-cccccccc', 91 * MIN).key;
    expect(c).not.toBe(over);
    expect(ids.identify('10.0.0.1', 'device-aaaaaaaa', 91 * MIN).key).toBe(a);
    expect(ids.identify('10.0.0.1', 'device-dddddddd', 91 * MIN).key).toBe(over);
    expect(ids.size.entries).toBe(2);
  });

  it('remembers a bounded number of identities, forgetting the least recently seen addresses', () => {
    const ids = new AnonymousIds({ secret: SECRET, perAddress: 4, maxEntries: 100 });
    for (let i = 0; i < 1000; i++) ids.identify(`10.1.${i >> 8}.${i & 255}`, `device-${i}-abcd`, i);
    expect(ids.size.entries).toBeLessThanOrEqual(100);
    expect(ids.size.addresses).toBeLessThanOrEqual(100);
    // A busy address keeps its own cap while others come and go.
    for (let i = 0; i < 8; i++) ids.identify('10.9.9.9', `busy-${i}-abcdefg`, 2000);
    expect(ids.size.entries).toBeLessThanOrEqual(100);
    const shared = ids.identify('10.9.9.9', 'busy-new-abcdefg', 2001).key;
    expect(ids.identify('10.9.9.9', undefined, 2002).key).toBe(shared);
  });

  it('counts an IPv6 /64 as one address', () => {
    expect(addressGroup('192.0.2.7')).toBe('192.0.2.7');
    expect(addressGroup('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressGroup('2001:db8:0:1:aaaa::1')).toBe('2001:db8:0:1::/64');
    expect(addressGroup('2001:0DB8:0000:0001:ffff:0:0:2')).toBe('2001:db8:0:1::/64');
    expect(addressGroup('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressGroup('::1')).toBe('0:0:0:0::/64');
    const ids = new AnonymousIds({ secret: SECRET, perAddress: 1 });
    const first = ids.identify('2001:db8:0:1::a', 'device-aaaaaaaa', 0).key;
    const second = ids.identify('2001:db8:0:1::b', 'device-bbbbbbbb', 0).key;
    const third = ids.identify('2001:db8:0:1::c', 'device-cccccccc', 0).key;
    expect(second).not.toBe(first);
    expect(third).toBe(second);
  });

  it('derives its secret from the JWT secret, so gateways of a cluster agree', () => {
    const a = anonIdSecret({ anonIdSecret: undefined, jwtSecret: 'j'.repeat(32) });
    const b = anonIdSecret({ anonIdSecret: undefined, jwtSecret: 'j'.repeat(32) });
    expect(a).toEqual(b);
    expect(a.shared).toBe(true);
    expect(a.secret).not.toBe('j'.repeat(32));
    expect(anonIdSecret({ anonIdSecret: undefined, jwtSecret: undefined }).shared).toBe(false);
  });
});
