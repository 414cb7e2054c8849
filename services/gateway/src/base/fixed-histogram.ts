import type { Registry } from 'prom-client';

type Labels = Record<string, string | number>;

interface Sample {
  value: number;
  labels: Labels;
  sharedLabels?: Labels;
  metricName: string;
}

interface Snapshot {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  values: Sample[];
}

/**
 * A Prometheus histogram for hot paths: one label with a fixed set of values, counts in a typed
 * array, so `observe` is a bucket search and two additions, with no allocation (prom-client's
 * `Histogram.observe` builds a closure and hashes the labels on every call: 1.5-2.5 µs here).
 * It registers itself like a prom-client metric: the same exposition format, default labels,
 * and the worker aggregation (`getMetricsAsJSON`, summed).
 */
export class FixedHistogram<L extends string = never> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #counts: Float64Array;
  readonly #sums: Float64Array;
  readonly #label: string | undefined;
  readonly #values: readonly L[];

  /**
   * `label` and `values`: the one label and every value it takes (observe by index into
   * `values`); none for an unlabelled histogram.
   */
  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
    registry: Registry,
    label?: { name: string; values: readonly L[] },
  ) {
    this.#bounds = [...buckets].sort((a, b) => a - b);
    this.#label = label?.name;
    this.#values = label?.values ?? [];
    const series = Math.max(1, this.#values.length);
    this.#counts = new Float64Array(series * (this.#bounds.length + 1));
    this.#sums = new Float64Array(series);
    registry.registerMetric(this as never);
  }

  /** Records `value` in the series of `values[index]` (0 when unlabelled). */
  observe(value: number, index = 0): void {
    const bounds = this.#bounds;
    let b = 0;
    while (b < bounds.length && value > (bounds[b] as number)) b++;
    const row = index * (bounds.length + 1);
    this.#counts[row + b] = (this.#counts[row + b] as number) + 1;
    this.#sums[index] = (this.#sums[index] as number) + value;
  }

  /** The index of a label value, for `observe`. */
  indexOf(value: L): number {
    return this.#values.indexOf(value);
  }

  /** What prom-client's registry reads for the text exposition (the label order of its own). */
  getForPromString(): Snapshot {
    return this.#snapshot(false);
  }

  /** What prom-client's registry reads for JSON (the worker aggregation): labels merged. */
  get(): Snapshot {
    return this.#snapshot(true);
  }

  #snapshot(merge: boolean): Snapshot {
    const values: Sample[] = [];
    const bounds = this.#bounds;
    const series = Math.max(1, this.#values.length);
    const push = (metricName: string, value: number, own: Labels, le?: number | string): void => {
      const labels: Labels = le === undefined ? {} : { le };
      values.push(
        merge
          ? { value, labels: { ...labels, ...own }, metricName }
          : { value, labels, sharedLabels: own, metricName },
      );
    };
    for (let s = 0; s < series; s++) {
      const row = s * (bounds.length + 1);
      const own: Labels =
        this.#label === undefined ? {} : { [this.#label]: this.#values[s] as string };
      let total = 0;
      for (let b = 0; b <= bounds.length; b++) total += this.#counts[row + b] as number;
      // A labelled series appears once it has a sample, as prom-client's do.
      if (this.#label !== undefined && total === 0) continue;
      let cumulative = 0;
      for (let b = 0; b < bounds.length; b++) {
        cumulative += this.#counts[row + b] as number;
        push(`${this.name}_bucket`, cumulative, own, bounds[b]);
      }
      push(`${this.name}_bucket`, total, own, '+Inf');
      push(`${this.name}_sum`, this.#sums[s] as number, own);
      push(`${this.name}_count`, total, own);
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }
}
