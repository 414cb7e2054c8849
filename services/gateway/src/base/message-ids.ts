import { randomBytes } from 'node:crypto';

/**
 * Chat message ids: unique across gateways without coordination, ordered within one gateway,
 * short on the wire: `<ms since epoch, base36><random gateway tag><counter, base36>`.
 */
export class MessageIds {
  readonly #tag = randomBytes(4).toString('base64url').slice(0, 5);
  #counter = 0;

  next(now: number): string {
    this.#counter = (this.#counter + 1) % 0x7fffffff;
    return `${now.toString(36)}${this.#tag}${this.#counter.toString(36)}`;
  }
}
