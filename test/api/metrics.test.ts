import { afterEach, describe, expect, it, vi } from 'vitest';

import { ApiMetrics } from '../../functions/api/metrics.js';
import type { CopyResponse } from '../../layers/copy/index.js';

const ANSWER = {
  variants: [{}, {}],
  rejected: [{}],
  degraded: true,
  timings: { totalMs: 42, engineMs: 40 },
} as unknown as CopyResponse;

afterEach(() => vi.restoreAllMocks());

describe('Class: ApiMetrics', () => {
  it('publishes answers and the cache hit ratio as one embedded-metric line', () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    const metrics = new ApiMetrics({
      cacheStats: () => ({ hits: 3, misses: 1, coalesced: 0, storeErrors: 0, hitRatio: 0.75 }),
      flushEverySeconds: 0,
    });

    metrics.recordAnswer(ANSWER);
    metrics.recordProblem(503);
    metrics.flushIfDue();

    const emf = JSON.parse(written.find((line) => line.includes('_aws')) ?? '{}');
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('adcopy');
    expect(emf).toMatchObject({
      Answers: 1,
      CopyLatencyAverage: 42,
      CopyLatencyMax: 42,
      VariantsReturned: 2,
      VariantsRejected: 1,
      DegradedAnswers: 1,
      ServerProblems: 1,
      CacheHitRatio: 75,
    });
  });

  it('waits for its interval before publishing again', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const cacheStats = () => ({ hits: 0, misses: 0, coalesced: 0, storeErrors: 0, hitRatio: 0 });
    const metrics = new ApiMetrics({ cacheStats, flushEverySeconds: 60 });

    metrics.recordAnswer(ANSWER);
    metrics.flushIfDue(Date.now() + 1000);

    expect(write).not.toHaveBeenCalled();
  });

  it("publishes each interval's own cache hit ratio, not the lifetime one", () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    let stats = { hits: 90, misses: 10, coalesced: 0, storeErrors: 0, hitRatio: 0.9 };
    const metrics = new ApiMetrics({ cacheStats: () => stats, flushEverySeconds: 0 });

    metrics.recordAnswer(ANSWER);
    metrics.flushIfDue();
    // The next interval: 1 hit in 10 lookups, while the lifetime ratio is still 91 / 110.
    stats = { hits: 91, misses: 19, coalesced: 0, storeErrors: 0, hitRatio: 91 / 110 };
    metrics.recordAnswer(ANSWER);
    metrics.flushIfDue();

    const ratios = written
      .filter((line) => line.includes('_aws'))
      .map((line) => JSON.parse(line).CacheHitRatio);
    expect(ratios).toEqual([90, 10]);
  });
});
