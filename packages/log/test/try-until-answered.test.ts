import { describe, expect, it } from 'vitest';
import { tryUntilAnswered, UNANSWERED_TRY_TIMEOUTS_MS } from '../src/jetstream-stream.js';

function timeoutError(): Error {
  const error = new Error('timeout');
  error.name = 'TimeoutError';
  return error;
}

describe('tryUntilAnswered', () => {
  it('tries again on each unanswered request, with the schedule’s timeouts, until one answers', async () => {
    const seen: number[] = [];
    const answer = await tryUntilAnswered(async (timeoutMs) => {
      seen.push(timeoutMs);
      if (seen.length < 4) throw timeoutError();
      return 'answered';
    });
    expect(answer).toBe('answered');
    expect(seen).toEqual(UNANSWERED_TRY_TIMEOUTS_MS.slice(0, 4));
  });

  it('gives up after the last timeout of the schedule, short tries first, 8.5 s in all', async () => {
    const seen: number[] = [];
    await expect(
      tryUntilAnswered(async (timeoutMs) => {
        seen.push(timeoutMs);
        throw timeoutError();
      }),
    ).rejects.toThrow('timeout');
    expect(seen).toEqual(UNANSWERED_TRY_TIMEOUTS_MS);
    expect(seen[0]).toBeLessThan(seen.at(-1)!);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(8500);
  });

  it('rejects at once on an error that is an answer (a refusal, not a silence)', async () => {
    let tries = 0;
    await expect(
      tryUntilAnswered(async () => {
        tries++;
        throw new Error('stream not found');
      }),
    ).rejects.toThrow('stream not found');
    expect(tries).toBe(1);
  });
});
