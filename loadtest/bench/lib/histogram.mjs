// Latency histogram with ~1% relative precision, small enough to send over IPC and merge.
const GROWTH = Math.log(1.01);
const OFFSET = 1; // buckets start at 0.01 ms

function bucketOf(ms) {
  if (!(ms > 0.01)) return 0;
  return Math.floor(Math.log(ms * 100) / GROWTH) + OFFSET;
}

function valueOf(bucket) {
  if (bucket === 0) return 0.01;
  // The upper edge of the bucket: percentiles are reported conservatively.
  return Math.exp((bucket - OFFSET + 1) * GROWTH) / 100;
}

export class Histogram {
  constructor() {
    this.counts = new Map();
    this.n = 0;
    this.max = 0;
  }

  record(ms) {
    const b = bucketOf(ms);
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    this.n++;
    if (ms > this.max) this.max = ms;
  }

  toJSON() {
    return { n: this.n, max: this.max, counts: [...this.counts] };
  }

  merge(json) {
    for (const [b, c] of json.counts) this.counts.set(b, (this.counts.get(b) ?? 0) + c);
    this.n += json.n;
    if (json.max > this.max) this.max = json.max;
    return this;
  }

  /** The latency at percentile `p` (0-100) in ms, or undefined when empty. */
  percentile(p) {
    if (this.n === 0) return undefined;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((a, c) => a - c)) {
      seen += this.counts.get(b);
      if (seen >= rank) return Math.min(valueOf(b), this.max);
    }
    return this.max;
  }

  static merged(list) {
    const h = new Histogram();
    for (const json of list) if (json) h.merge(json);
    return h;
  }
}
