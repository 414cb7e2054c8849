import { describe, expect, it } from 'vitest';
import { formatWatching } from './format.js';

describe('formatWatching', () => {
  it('writes the count compactly, truncated so it never claims a threshold not reached', () => {
    expect(formatWatching(812, 'en')).toBe('812 watching');
    expect(formatWatching(1_204_332, 'en')).toBe('1.2M watching');
    expect(formatWatching(1_299_999, 'en')).toBe('1.2M watching');
    expect(formatWatching(999_999, 'en')).toBe('999K watching');
    expect(formatWatching(59_000_000, 'en')).toBe('59M watching');
  });

  it("follows the viewer's locale", () => {
    expect(formatWatching(1_204_332, 'de')).toBe('1,2\u00a0Mio. watching');
    expect(formatWatching(59_000_000, 'ja')).toBe('5900万 watching');
    expect(formatWatching(12_345_678, 'en-IN')).toBe('1.2Cr watching');
  });

  it('takes the label from the page, or none', () => {
    expect(formatWatching(1500, 'fr', 'spectateurs')).toBe('1,5\u00a0k spectateurs');
    expect(formatWatching(1500, 'en', '')).toBe('1.5K');
  });

  it('survives a malformed locale and nonsense counts', () => {
    expect(formatWatching(1500, 'not a locale!!')).toMatch(/^1[.,]5\s?[kK]/);
    expect(formatWatching(-3, 'en')).toBe('0 watching');
    expect(formatWatching(Number.NaN, 'en')).toBe('0 watching');
    expect(formatWatching(2.9, 'en')).toBe('2 watching');
  });
});
