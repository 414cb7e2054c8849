/** Splits `total` into `parts` near-equal integers (larger ones first). */
export function split(total, parts) {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

export const round = (x, digits = 0) =>
  x === undefined || Number.isNaN(x) ? undefined : Number(x.toFixed(digits));
