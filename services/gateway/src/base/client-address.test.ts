import { describe, expect, it } from 'vitest';
import { ClientAddresses, invalidProxyEntries } from './client-address.js';

// uWS prints every peer as a full IPv6 address, IPv4 ones mapped.
const LB = '0000:0000:0000:0000:0000:ffff:0a00:0005'; // 10.0.0.5
const STRANGER = '0000:0000:0000:0000:0000:ffff:cb00:7107'; // 203.0.113.7

describe('ClientAddresses', () => {
  it('uses the peer and ignores the header when no proxy is trusted', () => {
    const addresses = new ClientAddresses([]);
    expect(addresses.resolve(LB, '198.51.100.1')).toBe(LB);
  });

  it('ignores a header sent by a peer that is not a trusted proxy', () => {
    const addresses = new ClientAddresses(['10.0.0.0/8']);
    expect(addresses.resolve(STRANGER, '198.51.100.1')).toBe(STRANGER);
  });

  it('takes the rightmost untrusted entry behind trusted proxies, whatever the client wrote', () => {
    const addresses = new ClientAddresses(['10.0.0.0/8', 'fd00::/8']);
    expect(addresses.resolve(LB, '198.51.100.1')).toBe('198.51.100.1');
    // The client claimed 1.1.1.1 itself; the proxies appended what they saw.
    expect(addresses.resolve(LB, '1.1.1.1, 198.51.100.1, 10.1.2.3')).toBe('198.51.100.1');
    expect(addresses.resolve(LB, '2001:db8::7, fd00::4')).toBe('2001:db8::7');
  });

  it('reads entries with ports and brackets', () => {
    const addresses = new ClientAddresses(['10.0.0.5']);
    expect(addresses.resolve(LB, '198.51.100.1:5123')).toBe('198.51.100.1');
    expect(addresses.resolve(LB, '[2001:db8::7]:443')).toBe('2001:db8::7');
  });

  it('stops at the last trustworthy hop when an entry is not an address', () => {
    const addresses = new ClientAddresses(['10.0.0.0/8']);
    expect(addresses.resolve(LB, 'unknown')).toBe(LB);
    expect(addresses.resolve(LB, '198.51.100.1, garbage, 10.0.0.9')).toBe('10.0.0.9');
    expect(addresses.resolve(LB, '')).toBe(LB);
    // Every hop trusted: the farthest one is the best answer there is.
    expect(addresses.resolve(LB, '10.9.9.9, 10.0.0.9')).toBe('10.9.9.9');
  });

  it('names the entries that are neither addresses nor CIDR ranges', () => {
    expect(invalidProxyEntries(['10.0.0.0/8', '::1', 'fd00::/8', '192.168.1.1'])).toEqual([]);
    expect(invalidProxyEntries(['10.0.0.0/33', 'lb.local', '10.0.0.0/x', '::/129'])).toEqual([
      '10.0.0.0/33',
      'lb.local',
      '10.0.0.0/x',
      '::/129',
    ]);
    expect(() => new ClientAddresses(['lb.local'])).toThrow(/lb\.local/);
  });
});
