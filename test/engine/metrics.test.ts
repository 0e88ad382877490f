import { afterEach, describe, expect, it, vi } from 'vitest';

import { EngineMetrics, ThroughputWindow } from '../../engine/metrics.js';

describe('Class: EngineMetrics', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    delete process.env.POWERTOOLS_DEV;
  });

  it('renders queue, slots, latency, throughput and prefix figures as Prometheus text', async () => {
    const metrics = new EngineMetrics(() => ({ queueDepth: 3, busySlots: 2, slotCount: 8 }));

    metrics.onAdmitted(1, 300, 240);
    metrics.onFirstToken(12);
    metrics.onToken(2);
    metrics.onStep(8);
    metrics.onFinished('stop');
    metrics.countFailure('queue_full');
    const text = await metrics.render();

    expect(text).toMatch(/^adcopy_engine_queue_depth 3$/m);
    expect(text).toMatch(/^adcopy_engine_busy_slots 2$/m);
    expect(text).toMatch(/^adcopy_engine_prefix_cache_hit_ratio 0\.8$/m);
    expect(text).toMatch(/^adcopy_engine_time_to_first_token_seconds_count 1$/m);
    expect(text).toMatch(/^adcopy_engine_request_failures_total\{error_type="queue_full"\} 1$/m);
    expect(text).toMatch(/^adcopy_engine_tokens_per_second 0\.8$/m);
  });

  it('writes the same figures as CloudWatch embedded-metric lines on its interval', async () => {
    // GIVEN metrics with some traffic and stdout captured
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const metrics = new EngineMetrics(() => ({ queueDepth: 5, busySlots: 4, slotCount: 8 }));
    metrics.onAdmitted(1, 100, 50);

    // WHEN the interval passes
    metrics.startEmf(20);
    await new Promise((resolve) => setTimeout(resolve, 60));
    metrics.stopEmf();

    // THEN a line carries the _aws envelope and the scaling figures
    const emf = lines.map((line) => line.trim()).filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line));
    expect(emf.length).toBeGreaterThan(0);
    expect(emf[0]).toMatchObject({ QueueDepth: 5, BusySlots: 4, PrefixCacheHitRatio: 50 });
    expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe('adcopy/engine');
  });
});

describe('Class: ThroughputWindow', () => {
  it('counts the steps of the last window only, to the bucket', () => {
    // GIVEN a 1 s window on a clock the test moves
    let now = 50_000;
    const window = new ThroughputWindow(1_000, () => now);

    // WHEN steps come at 0 ms, 450 ms and 990 ms, and the clock then moves on
    window.add(10);
    now += 450;
    window.add(20);
    now += 540;
    window.add(30);
    const full = window.perSecond();
    now += 520;
    const lastTwo = window.perSecond();
    now += 1_000;
    const none = window.perSecond();

    // THEN each figure holds the tokens of the buckets still inside the window
    expect(full).toBe(60);
    expect(lastTwo).toBe(30);
    expect(none).toBe(0);
  });
});
