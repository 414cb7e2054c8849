import { waitFor } from '@roar/testkit';
import { expect } from 'vitest';

/** Bytes no text codec would let through unchanged. */
export const awkward = (body: string): Uint8Array =>
  new Uint8Array([0x00, ...new TextEncoder().encode(body), 0xff, 0x80, 0x00]);

/** How a contract suite lets time pass for a store's expiries (leases, claims). */
export interface ContractClock {
  /**
   * Moves the store's clock forward by `ms` (the memory store's injected `now`). Absent when
   * expiries run on a server's clock that nothing moves (Redis): the suite then uses short TTLs
   * and waits for the expiry itself.
   */
  advance?(ms: number): void;
}

/**
 * Lets `ms` pass for the store and checks that `passed` (an expiry) holds: at once after moving
 * the store's clock when `clock` can, else by polling `passed` against a deadline, asserting it
 * did not hold before `ms` had passed since `since` (by this process's clock, which a local
 * server shares). No guessed sleep either way.
 */
export async function elapse(
  clock: ContractClock,
  { ms, since }: { ms: number; since: number },
  passed: () => Promise<boolean>,
  what: string,
): Promise<void> {
  if (clock.advance) {
    clock.advance(ms);
    expect(await passed(), what).toBe(true);
    return;
  }
  await waitFor(passed, { timeoutMs: ms + 2800, intervalMs: 10, message: what });
  // A quarter of slack for the two clocks' granularity and the polling.
  expect(Date.now() - since, `${what}: not before ${ms} ms`).toBeGreaterThanOrEqual(ms * 0.75);
}
