import { describe, expect, it } from 'vitest';
import { signDelivery, verifySignature } from './signature.js';

const SECRET = 'whsec-test-secret-of-at-least-32-chars';

describe('delivery signatures', () => {
  it('verifies what was signed, within the replay window only', () => {
    const body = '{"events":[]}';
    const header = signDelivery(SECRET, body, 1_000_000);
    expect(verifySignature(SECRET, header, body, 1_000_100)).toEqual({
      ok: true,
      timestampS: 1_000_000,
    });
    expect(verifySignature(SECRET, header, body, 1_000_301)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(verifySignature(SECRET, header, `${body} `, 1_000_000)).toMatchObject({
      reason: 'mismatch',
    });
    expect(verifySignature(`${SECRET}x`, header, body, 1_000_000)).toMatchObject({
      reason: 'mismatch',
    });
    // Another timestamp with the same MAC: the time is signed too.
    const moved = header.replace('t=1000000', 't=1000200');
    expect(verifySignature(SECRET, moved, body, 1_000_200)).toMatchObject({ reason: 'mismatch' });
    expect(verifySignature(SECRET, undefined, body, 0)).toMatchObject({ reason: 'malformed' });
    expect(verifySignature(SECRET, 't=1,v1=zz', body, 1)).toMatchObject({ reason: 'malformed' });
    // During a rotation a header may carry a MAC per secret: any one matching is enough.
    const other = signDelivery('another-secret-of-at-least-32-chars!', body, 1_000_000);
    const both = `${header},v1=${other.split('v1=')[1]}`;
    expect(verifySignature(SECRET, both, body, 1_000_000).ok).toBe(true);
  });
});
