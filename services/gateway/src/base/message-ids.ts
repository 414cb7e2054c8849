import { randomBytes } from 'node:crypto';

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * `n.toString(36)`: for a non-negative integer below 2^53 (a time in ms, a counter) without V8's
 * general radix conversion, which is written for fractions and cost a tenth of a chat's
 * acceptance; anything else goes to `toString` itself.
 */
export function base36(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) return n.toString(36);
  let out = '';
  do {
    const q = Math.floor(n / 36);
    out = DIGITS[n - q * 36] + out;
    n = q;
  } while (n > 0);
  return out;
}

/**
 * Chat message ids: unique across gateways without coordination, ordered within one gateway,
 * short on the wire: `<ms since epoch, base36><random gateway tag><counter, base36>`.
 */
export class MessageIds {
  readonly #tag = randomBytes(4).toString('base64url').slice(0, 5);
  #counter = 0;
  /** The id's head for `#at`: messages of the same millisecond share it. */
  #at = -1;
  #head = '';

  next(now: number): string {
    this.#counter = (this.#counter + 1) % 0x7fffffff;
    if (now !== this.#at) {
      this.#at = now;
      this.#head = `${base36(now)}${this.#tag}`;
    }
    return `${this.#head}${base36(this.#counter)}`;
  }
}
