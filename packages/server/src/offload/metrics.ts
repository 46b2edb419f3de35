import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics for one process, served at /metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly offloads = new Counter({
    name: 'offload_jobs_total',
    help: 'Offload attempts by outcome.',
    labelNames: ['outcome', 'provider'] as const,
    registers: [this.registry],
  });
  readonly bytes = new Counter({
    name: 'offload_bytes_total',
    help: 'Bytes uploaded and verified.',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'offload_duration_seconds',
    help: 'Time from claiming a creative to its verified upload.',
    labelNames: ['provider'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600],
    registers: [this.registry],
  });
  readonly queueDepth: Gauge;

  /** `queueDepth` is read at scrape time. */
  constructor(queueDepth: () => Promise<{ queued: number; uploading: number; failed: number }>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'offload_process_' });
    this.queueDepth = new Gauge({
      name: 'offload_queue_depth',
      help: 'Creatives waiting for or in the middle of an upload, by status.',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        const counts = await queueDepth();
        this.set({ status: 'QUEUED' }, counts.queued);
        this.set({ status: 'UPLOADING' }, counts.uploading);
        this.set({ status: 'FAILED' }, counts.failed);
      },
    });
  }
}
