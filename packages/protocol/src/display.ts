const UNITS: readonly [number, string][] = [
  [1e9, 'B'],
  [1e6, 'M'],
  [1e3, 'K'],
];

/**
 * Compact count for display: 812, 1.2K, 12K, 1.2M, 59M. Truncates rather than rounds, so the
 * display never claims a threshold the count has not reached (999,999 is "999K", not "1M").
 */
export function compactCount(n: number): string {
  const value = Math.max(0, Math.floor(n));
  for (const [size, unit] of UNITS) {
    if (value >= size) {
      const scaled = value / size;
      const digits = scaled < 10 ? 1 : 0;
      const factor = 10 ** digits;
      const truncated = Math.floor(scaled * factor) / factor;
      return `${truncated}${unit}`;
    }
  }
  return String(value);
}

/** The text shown next to the count: "1.2M watching". */
export function viewersText(total: number): string {
  return `${compactCount(total)} watching`;
}
