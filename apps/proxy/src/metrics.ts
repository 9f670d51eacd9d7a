// Prometheus text exposition, written by hand: a few counters and one histogram are all the proxy needs,
// and keeping them as plain maps keeps the hot path to a string concat and a Map increment.

type Labels = Record<string, string>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels, by = 1): void {
    const k = labelText(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const [k, v] of this.values) out += `${this.name}${k} ${v}\n`;
    return out;
  }
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets = LATENCY_BUCKETS,
  ) {}
  observe(labels: Labels, value: number): void {
    const k = labelText(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => {
        out += `${this.name}_bucket${labelText({ ...s.labels, le: String(b) })} ${s.counts[i]}\n`;
      });
      out += `${this.name}_bucket${labelText({ ...s.labels, le: "+Inf" })} ${s.count}\n`;
      out += `${this.name}_sum${labelText(s.labels)} ${s.sum}\n`;
      out += `${this.name}_count${labelText(s.labels)} ${s.count}\n`;
    }
    return out;
  }
}

export interface GaugeSource {
  name: string;
  help: string;
  read(): { labels: Labels; value: number }[];
}

export class ProxyMetrics {
  readonly requests = new Counter("gateway_requests_total", "Client requests by endpoint, route and HTTP status.");
  readonly latency = new Histogram("gateway_request_duration_seconds", "Client request latency by endpoint and route.");
  readonly ttft = new Histogram("gateway_time_to_first_token_seconds", "Time to first streamed token by route.");
  readonly attempts = new Counter("gateway_upstream_attempts_total", "Upstream attempts by target and outcome.");
  readonly fallbacks = new Counter("gateway_fallbacks_total", "Requests served by a fallback target, by route.");
  readonly upstreamErrors = new Counter("gateway_upstream_errors_total", "Failed upstream attempts by target and failure kind.");
  readonly cacheErrors = new Counter("gateway_cache_errors_total", "Cache operations that failed (served as a miss), by stage.");
  readonly budgetAlerts = new Counter("gateway_budget_alerts_total", "Budget soft-threshold and exhaustion signals this proxy raised first.");
  readonly configReloads = new Counter("gateway_config_reloads_total", "Configuration snapshot reloads by outcome.");
  private readonly gauges: GaugeSource[] = [];

  addGauge(g: GaugeSource): void {
    this.gauges.push(g);
  }

  render(): string {
    let out =
      this.requests.render() +
      this.latency.render() +
      this.ttft.render() +
      this.attempts.render() +
      this.fallbacks.render() +
      this.upstreamErrors.render() +
      this.configReloads.render() +
      this.cacheErrors.render() +
      this.budgetAlerts.render();
    for (const g of this.gauges) {
      out += `# HELP ${g.name} ${g.help}\n# TYPE ${g.name} gauge\n`;
      for (const { labels, value } of g.read()) out += `${g.name}${labelText(labels)} ${value}\n`;
    }
    return out;
  }
}
