import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header every delivery carries: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'roar-signature';

/** Deliveries older (or newer) than this are refused by `verifySignature` by default. */
export const DEFAULT_TOLERANCE_S = 300;

/**
 * Signs a delivery as Stripe and Svix do: HMAC-SHA256 under the endpoint's secret over
 * `<timestamp>.<body>` (the exact bytes sent), so neither the body nor the time can be changed
 * without the secret, and a captured delivery cannot be replayed outside the window.
 */
export function signDelivery(secret: string, body: string, timestampS: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
  return `t=${timestampS},v1=${mac}`;
}

export type SignatureCheck =
  { ok: true; timestampS: number } | { ok: false; reason: 'malformed' | 'mismatch' | 'expired' };

/**
 * What a receiver does with a delivery: recompute the HMAC over the received body and compare in
 * constant time, then refuse a timestamp more than `toleranceS` from its own clock. Several `v1=`
 * values (during a secret rotation) are each tried.
 */
export function verifySignature(
  secret: string,
  header: string | undefined,
  body: string,
  nowS: number,
  toleranceS = DEFAULT_TOLERANCE_S,
): SignatureCheck {
  if (!header) return { ok: false, reason: 'malformed' };
  let timestampS: number | undefined;
  const macs: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value && /^\d+$/.test(value)) timestampS = Number(value);
    else if (key === 'v1' && value && /^[0-9a-f]{64}$/.test(value)) macs.push(value);
  }
  if (timestampS === undefined || macs.length === 0) return { ok: false, reason: 'malformed' };
  const expected = Buffer.from(
    createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex'),
  );
  if (!macs.some((mac) => timingSafeEqual(Buffer.from(mac), expected)))
    return { ok: false, reason: 'mismatch' };
  if (Math.abs(nowS - timestampS) > toleranceS) return { ok: false, reason: 'expired' };
  return { ok: true, timestampS };
}
