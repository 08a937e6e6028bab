/**
 * Counters and histograms cheap enough for the per-query path. prom-client's own metrics hash
 * their label values on every call (~1.5 µs per labelled observe); these hand out children bound
 * to one label set, whose inc/observe are plain array updates, and render through a prom-client
 * Registry at scrape time (same exposition, cluster aggregation included).
 */
import type { Registry } from 'prom-client';

interface LabelledValue {
  labels: Record<string, string>;
  value: number;
  metricName?: string;
}

abstract class FastMetric<Child> {
  protected readonly children = new Map<string, { labels: Record<string, string>; child: Child }>();
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  protected abstract newChild(): Child;
  protected abstract render(labels: Record<string, string>, child: Child, out: LabelledValue[]): void;

  /** The child for these label values (in labelNames order); keep it, it is the fast handle. */
  labels(...values: string[]): Child {
    const key = values.join('\u0000');
    let e = this.children.get(key);
    if (e === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
      e = { labels, child: this.newChild() };
      this.children.set(key, e);
    }
    return e.child;
  }

  async get(): Promise<{ name: string; help: string; type: string; values: LabelledValue[]; aggregator: string }> {
    const values: LabelledValue[] = [];
    for (const { labels, child } of this.children.values()) this.render(labels, child, values);
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.children.clear();
  }
}

export class CounterChild {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

export class FastCounter extends FastMetric<CounterChild> {
  readonly type = 'counter';
  protected newChild(): CounterChild {
    return new CounterChild();
  }
  protected render(labels: Record<string, string>, c: CounterChild, out: LabelledValue[]): void {
    out.push({ labels, value: c.value });
  }
}

export class GaugeChild {
  value = 0;
  set(v: number): void {
    this.value = v;
  }
  inc(n = 1): void {
    this.value += n;
  }
  dec(n = 1): void {
    this.value -= n;
  }
}

export class FastGauge extends FastMetric<GaugeChild> {
  readonly type = 'gauge';
  protected newChild(): GaugeChild {
    return new GaugeChild();
  }
  protected render(labels: Record<string, string>, c: GaugeChild, out: LabelledValue[]): void {
    out.push({ labels, value: c.value });
  }
}

export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly upper: Float64Array) {
    this.counts = new Float64Array(upper.length);
  }
  observe(v: number): void {
    const u = this.upper;
    let i = 0;
    while (i < u.length && v > u[i]!) i++;
    if (i < u.length) this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

export class FastHistogram extends FastMetric<HistogramChild> {
  readonly type = 'histogram';
  private readonly upper: Float64Array;

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
    this.upper = Float64Array.from([...buckets].sort((a, b) => a - b));
  }

  protected newChild(): HistogramChild {
    return new HistogramChild(this.upper);
  }

  protected render(labels: Record<string, string>, c: HistogramChild, out: LabelledValue[]): void {
    let cum = 0;
    for (let i = 0; i < this.upper.length; i++) {
      cum += c.counts[i]!;
      out.push({ labels: { ...labels, le: String(this.upper[i]) }, value: cum, metricName: `${this.name}_bucket` });
    }
    out.push({ labels: { ...labels, le: '+Inf' }, value: c.count, metricName: `${this.name}_bucket` });
    out.push({ labels, value: c.sum, metricName: `${this.name}_sum` });
    out.push({ labels, value: c.count, metricName: `${this.name}_count` });
  }
}
