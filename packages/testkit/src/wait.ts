export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs?: number;
  /** Check this often. */
  intervalMs?: number;
  /** Says what was awaited, in the timeout error. */
  message?: string;
}

/**
 * Polls `condition` until it returns true, or fails with a message that says what never happened.
 * Tests wait for conditions against a deadline instead of sleeping and hoping.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 5000, intervalMs = 10, message = 'condition' }: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
