/**
 * API metrics as CloudWatch embedded-metric JSON (Powertools Metrics): answer latency, variants
 * returned and rejected, degraded answers, problems by status, and the cache hit ratio.
 * @module
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import type { CacheStats } from '../../layers/cache/index.js';
import type { CopyResponse } from '../../layers/copy/index.js';

/** Options of {@link ApiMetrics}. */
export interface ApiMetricsOptions {
  /** Cache counters, read at each flush for the hit ratio. */
  cacheStats: () => CacheStats;
  /** Seconds between flushes; 0 flushes after every request (Lambda freezes between requests). */
  flushEverySeconds: number;
  /** @default a Powertools `Metrics` in namespace `adcopy` (or POWERTOOLS_METRICS_NAMESPACE) */
  metrics?: Metrics;
}

/**
 * Buffers per-request figures and publishes them in batches.
 *
 * @example
 * const metrics = new ApiMetrics({ cacheStats: () => cache.stats(), flushEverySeconds: 10 });
 * metrics.recordAnswer(answer);
 * metrics.flushIfDue();
 */
export class ApiMetrics {
  private readonly metrics: Metrics;
  private lastFlushMs = Date.now();
  /** Whether anything was recorded since the last flush; idle intervals publish nothing. */
  private recorded = false;

  constructor(private readonly options: ApiMetricsOptions) {
    this.metrics =
      options.metrics ?? new Metrics({ namespace: 'adcopy', serviceName: 'adcopy-api' });
  }

  /** Counts one answer of `/v1/copies` or a rewrite. */
  recordAnswer(answer: CopyResponse): void {
    this.recorded = true;
    this.metrics.addMetric('CopyLatency', MetricUnit.Milliseconds, answer.timings.totalMs);
    this.metrics.addMetric('VariantsReturned', MetricUnit.Count, answer.variants.length);
    this.metrics.addMetric('VariantsRejected', MetricUnit.Count, answer.rejected.length);
    if (answer.degraded) this.metrics.addMetric('DegradedAnswers', MetricUnit.Count, 1);
  }

  /** Counts one problem answer by its status class. */
  recordProblem(status: number): void {
    this.recorded = true;
    this.metrics.addMetric(
      status >= 500 ? 'ServerProblems' : 'ClientProblems',
      MetricUnit.Count,
      1,
    );
  }

  /** Publishes the buffer when the interval has passed. */
  flushIfDue(now = Date.now()): void {
    if (!this.recorded || now - this.lastFlushMs < this.options.flushEverySeconds * 1000) return;
    this.lastFlushMs = now;
    this.recorded = false;

    const stats = this.options.cacheStats();
    if (stats.hits + stats.misses > 0) {
      this.metrics.addMetric('CacheHitRatio', MetricUnit.Percent, stats.hitRatio * 100);
    }
    if (this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
  }
}
