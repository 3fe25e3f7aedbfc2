import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics. hello_world is counted with a plain number so the framework-cost task stays lean. */
export class Metrics {
  readonly registry = new Registry();
  private helloCount = 0;
  private readonly requests: Counter<'route' | 'status'>;
  private readonly duration: Histogram<'route'>;

  constructor(queueDepth: () => number) {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({ name: 'servebench_requests_total', help: 'Requests by route and status', labelNames: ['route', 'status'], registers: [this.registry] });
    this.duration = new Histogram({
      name: 'servebench_request_duration_seconds',
      help: 'Handler time for tokenize and predict',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    const hello = () => this.helloCount;
    new Gauge({ name: 'servebench_hello_world_total', help: 'hello_world requests served', registers: [this.registry], collect() { this.set(hello()); } });
    new Gauge({ name: 'servebench_queue_depth', help: 'Requests running or waiting for the backend', registers: [this.registry], collect() { this.set(queueDepth()); } });
  }

  hello(): void {
    this.helloCount++;
  }

  observe(route: string, status: number, seconds: number): void {
    this.requests.inc({ route, status: String(status) });
    if (status < 400) this.duration.observe({ route }, seconds);
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
