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
  // Plain counters on the request path; Powertools sees them only at a flush.
  private counts = emptyCounts();
  /** Cache counters at the last flush. */
  private flushedCache = { hits: 0, misses: 0 };

  constructor(private readonly options: ApiMetricsOptions) {
    this.metrics =
      options.metrics ?? new Metrics({ namespace: 'adcopy', serviceName: 'adcopy-api' });
  }

  /** The cache counters the hit-ratio metric is computed from. */
  cacheStats(): CacheStats {
    return this.options.cacheStats();
  }

  /** Counts one answer of `/v1/copies` or a rewrite. */
  recordAnswer(answer: CopyResponse): void {
    const counts = this.counts;
    counts.answers += 1;
    counts.latencyMsSum += answer.timings.totalMs;
    counts.latencyMsMax = Math.max(counts.latencyMsMax, answer.timings.totalMs);
    counts.variantsReturned += answer.variants.length;
    counts.variantsRejected += answer.rejected.length;
    if (answer.degraded) counts.degraded += 1;
  }

  /** Counts one problem answer by its status class. */
  recordProblem(status: number): void {
    if (status >= 500) this.counts.serverProblems += 1;
    else this.counts.clientProblems += 1;
  }

  /** Publishes what was counted when the interval has passed; idle intervals publish nothing. */
  flushIfDue(now = Date.now()): void {
    const counts = this.counts;
    if (counts.answers + counts.clientProblems + counts.serverProblems === 0) return;
    if (now - this.lastFlushMs < this.options.flushEverySeconds * 1000) return;
    this.lastFlushMs = now;
    this.counts = emptyCounts();

    const add = (name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) =>
      this.metrics.addMetric(name, unit, value);
    if (counts.answers > 0) {
      add('Answers', MetricUnit.Count, counts.answers);
      add('CopyLatencyAverage', MetricUnit.Milliseconds, counts.latencyMsSum / counts.answers);
      add('CopyLatencyMax', MetricUnit.Milliseconds, counts.latencyMsMax);
      add('VariantsReturned', MetricUnit.Count, counts.variantsReturned);
      add('VariantsRejected', MetricUnit.Count, counts.variantsRejected);
      add('DegradedAnswers', MetricUnit.Count, counts.degraded);
    }
    add('ClientProblems', MetricUnit.Count, counts.clientProblems);
    add('ServerProblems', MetricUnit.Count, counts.serverProblems);
    // The ratio of this interval's lookups, so that a sudden drop in hits shows at once.
    const stats = this.options.cacheStats();
    const hits = stats.hits - this.flushedCache.hits;
    const misses = stats.misses - this.flushedCache.misses;
    this.flushedCache = { hits: stats.hits, misses: stats.misses };
    if (hits + misses > 0) add('CacheHitRatio', MetricUnit.Percent, (hits / (hits + misses)) * 100);
    this.metrics.publishStoredMetrics();
  }
}

function emptyCounts() {
  return {
    answers: 0,
    latencyMsSum: 0,
    latencyMsMax: 0,
    variantsReturned: 0,
    variantsRejected: 0,
    degraded: 0,
    clientProblems: 0,
    serverProblems: 0,
  };
}
