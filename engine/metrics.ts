/**
 * @module
 * Engine figures: Prometheus text for `/metrics`, and the same figures as CloudWatch
 * embedded-metric log lines every few seconds, for the endpoint's scaling policies.
 */

import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { SchedulerObserver } from './scheduler/scheduler.js';
import type { FinishReason } from './scheduler/types.js';

/** Live figures the metrics read from the scheduler when asked. */
export interface SchedulerGauges {
  queueDepth: number;
  busySlots: number;
  slotCount: number;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Tokens per second over a sliding window of decode steps, counted in 100 ms buckets: adding is
 * constant work at thousands of steps a second (a list of every step had to be trimmed at its
 * head on each step), and the window is exact to a bucket.
 * @example
 * const window = new ThroughputWindow(10_000);
 * window.add(8);
 * window.perSecond(); // 0.8
 */
export class ThroughputWindow {
  readonly #bucketMs = 100;
  readonly #tokens: Float64Array;
  /** The bucket number (time / bucket length) each slot of the ring counts, -1 when unused. */
  readonly #bucketOf: Float64Array;

  /**
   * @param windowMs length of the window
   * @param now the clock, in milliseconds
   */
  constructor(readonly windowMs = 10_000, private readonly now = () => performance.now()) {
    const buckets = Math.max(1, Math.ceil(windowMs / this.#bucketMs));
    this.#tokens = new Float64Array(buckets);
    this.#bucketOf = new Float64Array(buckets).fill(-1);
  }

  /** Counts the tokens of one step, now. */
  add(tokens: number): void {
    const bucket = Math.floor(this.now() / this.#bucketMs);
    const ring = bucket % this.#tokens.length;

    if (this.#bucketOf[ring] !== bucket) {
      this.#bucketOf[ring] = bucket;
      this.#tokens[ring] = 0;
    }
    this.#tokens[ring] = (this.#tokens[ring] as number) + tokens;
  }

  /** Tokens per second over the window that ends now. */
  perSecond(): number {
    const newest = Math.floor(this.now() / this.#bucketMs);
    let tokens = 0;

    this.#bucketOf.forEach((bucket, ring) => {
      if (bucket > newest - this.#tokens.length) tokens += this.#tokens[ring] as number;
    });
    return tokens / (this.windowMs / 1000);
  }
}

/**
 * The engine's metrics. Pass it to the scheduler as its observer.
 * @example
 * const metrics = new EngineMetrics(() => scheduler);
 * const scheduler = new Scheduler(backend, { queueLimit, logger, observer: metrics });
 */
export class EngineMetrics implements SchedulerObserver {
  /** Content type of {@link render}'s text. */
  readonly contentType: string;

  readonly #registry = new Registry();
  readonly #ttft: Histogram;
  readonly #interToken: Histogram;
  readonly #queueTime: Histogram;
  readonly #generated: Counter;
  readonly #promptTokens: Counter;
  readonly #cachedTokens: Counter;
  readonly #finished: Counter;
  readonly #failures: Counter;
  readonly #drafted: Counter;
  readonly #draftsAccepted: Counter;
  readonly #throughput = new ThroughputWindow();
  readonly #gauges: () => SchedulerGauges;
  #emfTimer: NodeJS.Timeout | undefined;
  #promptTotal = 0;
  #cachedTotal = 0;
  #ttftSum = 0;
  #ttftCount = 0;

  /** @param gauges reads queue depth and busy slots when metrics are collected */
  constructor(gauges: () => SchedulerGauges) {
    this.#gauges = gauges;
    this.contentType = this.#registry.contentType;
    const registers = [this.#registry];

    this.#ttft = new Histogram({ name: 'adcopy_engine_time_to_first_token_seconds',
      help: 'Time from arrival to the first generated token', buckets: LATENCY_BUCKETS,
      registers });
    this.#interToken = new Histogram({ name: 'adcopy_engine_inter_token_latency_seconds',
      help: 'Time between two tokens of one candidate', buckets: LATENCY_BUCKETS, registers });
    this.#queueTime = new Histogram({ name: 'adcopy_engine_queue_seconds',
      help: 'Time a request waited for a slot', buckets: LATENCY_BUCKETS, registers });
    this.#generated = new Counter({ name: 'adcopy_engine_generated_tokens_total',
      help: 'Tokens evaluated in decode steps', registers });
    this.#promptTokens = new Counter({ name: 'adcopy_engine_prompt_tokens_total',
      help: 'Prompt tokens of admitted candidates', registers });
    this.#cachedTokens = new Counter({ name: 'adcopy_engine_prefix_cache_hit_tokens_total',
      help: 'Prompt tokens served from a slot KV cache', registers });
    this.#finished = new Counter({ name: 'adcopy_engine_candidates_finished_total',
      help: 'Finished candidates by finish reason', labelNames: ['finish_reason'], registers });
    this.#failures = new Counter({ name: 'adcopy_engine_request_failures_total',
      help: 'Refused or failed requests by error type', labelNames: ['error_type'], registers });
    this.#drafted = new Counter({ name: 'adcopy_engine_draft_tokens_total',
      help: 'Draft tokens (prompt lookup) decoded to be checked', registers });
    this.#draftsAccepted = new Counter({ name: 'adcopy_engine_draft_tokens_accepted_total',
      help: 'Draft tokens the model confirmed and kept', registers });

    new Gauge({ name: 'adcopy_engine_queue_depth', help: 'Requests waiting for a slot',
      registers, collect() { this.set(gauges().queueDepth); } });

    new Gauge({ name: 'adcopy_engine_busy_slots', help: 'Slots generating or prefilling',
      registers, collect() { this.set(gauges().busySlots); } });
    new Gauge({ name: 'adcopy_engine_slots', help: 'Slots in the context',
      registers, collect() { this.set(gauges().slotCount); } });
    const throughput = this.#throughput;
    new Gauge({ name: 'adcopy_engine_tokens_per_second', help: 'Tokens decoded per second, 10 s',
      registers, collect() { this.set(throughput.perSecond()); } });
    const ratio = () => this.prefixHitRatio;
    new Gauge({ name: 'adcopy_engine_prefix_cache_hit_ratio',
      help: 'Share of prompt tokens served from cache', registers,
      collect() { this.set(ratio()); } });
  }

  /** Share of prompt tokens that came from a slot's cache so far. */
  get prefixHitRatio(): number {
    return this.#promptTotal === 0 ? 0 : this.#cachedTotal / this.#promptTotal;
  }

  /** Prometheus text exposition. */
  render(): Promise<string> {
    return this.#registry.metrics();
  }

  /** Counts a refused or failed request. */
  countFailure(errorType: string): void {
    this.#failures.inc({ error_type: errorType });
  }

  onAdmitted(queueMs: number, promptTokens: number, cachedTokens: number): void {
    this.#queueTime.observe(queueMs / 1000);
    this.#promptTokens.inc(promptTokens);
    this.#cachedTokens.inc(cachedTokens);
    this.#promptTotal += promptTokens;
    this.#cachedTotal += cachedTokens;
  }

  onFirstToken(ttftMs: number): void {
    this.#ttft.observe(ttftMs / 1000);
    this.#ttftSum += ttftMs;
    this.#ttftCount++;
  }

  onToken(interTokenMs: number): void {
    this.#interToken.observe(interTokenMs / 1000);
  }

  onFinished(reason: FinishReason): void {
    this.#finished.inc({ finish_reason: reason });
  }

  onDraftChecked(drafted: number, accepted: number): void {
    this.#drafted.inc(drafted);
    this.#draftsAccepted.inc(accepted);
  }

  onStep(tokens: number): void {
    this.#generated.inc(tokens);
    this.#throughput.add(tokens);
  }

  /**
   * Writes the figures as CloudWatch embedded-metric JSON lines every `intervalMs`.
   * @param namespace CloudWatch namespace @default 'adcopy/engine'
   */
  startEmf(intervalMs = 10_000, namespace = 'adcopy/engine'): void {
    const metrics = new Metrics({ namespace, serviceName: 'adcopy-engine' });

    this.#emfTimer = setInterval(() => {
      const gauges = this.#gauges();
      metrics.addMetric('QueueDepth', MetricUnit.Count, gauges.queueDepth);
      metrics.addMetric('BusySlots', MetricUnit.Count, gauges.busySlots);
      metrics.addMetric('TokensPerSecond', MetricUnit.CountPerSecond, this.#throughput.perSecond());
      metrics.addMetric('PrefixCacheHitRatio', MetricUnit.Percent, this.prefixHitRatio * 100);
      if (this.#ttftCount > 0) {
        metrics.addMetric('TimeToFirstToken', MetricUnit.Milliseconds,
          this.#ttftSum / this.#ttftCount);
      }
      this.#ttftSum = 0;
      this.#ttftCount = 0;
      metrics.publishStoredMetrics();
    }, intervalMs);
    this.#emfTimer.unref();
  }

  /** Stops the embedded-metric lines. */
  stopEmf(): void {
    clearInterval(this.#emfTimer);
  }
}
