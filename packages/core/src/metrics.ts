import type { BatchReport, PipelineObserver } from '@servebench/inference';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';

/** Prometheus metrics. hello_world is counted with a plain number so the framework-cost task stays lean. */
export class Metrics implements PipelineObserver {
  readonly registry = new Registry();
  private helloCount = 0;
  private readonly requests: Counter<'route' | 'status'>;
  private readonly duration: Histogram<'route'>;
  private readonly batchSize: Histogram;
  private readonly paddingRatio: Histogram;
  private readonly queueWait: Histogram;

  constructor(queueDepth: () => number) {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'servebench_requests_total',
      help: 'Requests by route and status',
      labelNames: ['route', 'status'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'servebench_request_duration_seconds',
      help: 'Handler time for tokenize and predict',
      labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    // One observation per backend call, so a runner can diff the histograms around a cell.
    this.batchSize = new Histogram({
      name: 'servebench_batch_size',
      help: 'Sequences per backend call (1 per request when dynamic batching is off)',
      buckets: exponentialBuckets(1, 2, 13),
      registers: [this.registry],
    });
    this.paddingRatio = new Histogram({
      name: 'servebench_batch_padding_ratio',
      help: 'Per backend call, padded tokens (sequences x longest) over real tokens; 1 means no padding',
      buckets: [1, 1.05, 1.1, 1.25, 1.5, 2, 3, 5, 10, 20],
      registers: [this.registry],
    });
    this.queueWait = new Histogram({
      name: 'servebench_queue_wait_seconds',
      help: 'Per request, time from queueing to its backend call starting',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    const hello = () => this.helloCount;
    new Gauge({
      name: 'servebench_hello_world_total',
      help: 'hello_world requests served',
      registers: [this.registry],
      collect() {
        this.set(hello());
      },
    });
    new Gauge({
      name: 'servebench_queue_depth',
      help: 'Requests running or waiting for the backend',
      registers: [this.registry],
      collect() {
        this.set(queueDepth());
      },
    });
  }

  hello(): void {
    this.helloCount++;
  }

  observe(route: string, status: number, seconds: number): void {
    this.requests.inc({ route, status: String(status) });
    if (status < 400) this.duration.observe({ route }, seconds);
  }

  onBatch(r: BatchReport): void {
    this.batchSize.observe(r.size);
    this.paddingRatio.observe(r.paddingRatio);
  }

  onQueueWait(ms: number): void {
    this.queueWait.observe(ms / 1000);
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
