import { describe, expect, it } from 'vitest';
import { compactCount, viewersText } from './display.js';

describe('compactCount', () => {
  it.each([
    [0, '0'],
    [812, '812'],
    [999, '999'],
    [1000, '1K'],
    [1250, '1.2K'],
    [12_345, '12K'],
    [999_999, '999K'],
    [1_200_000, '1.2M'],
    [59_412_008, '59M'],
    [2_500_000_000, '2.5B'],
    [-5, '0'],
  ])('%d → %s', (n, text) => {
    expect(compactCount(n)).toBe(text);
  });

  it('makes the viewer text', () => {
    expect(viewersText(1_234_567)).toBe('1.2M watching');
  });
});
