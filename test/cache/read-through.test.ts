import { describe, expect, it } from 'vitest';

import {
  ReadThroughCache,
  RedisCacheStore,
  SingleFlight,
  type JsonValue,
} from '../../layers/cache/index.js';
import { startTestRedis } from '../helpers/redis.js';
import { useStoreKinds } from './store-kinds.js';

const { kinds } = useStoreKinds();

/** A load that counts its calls and answers after a short wait, so concurrent callers overlap. */
function countedLoad<T extends JsonValue>(
  answer: () => T,
): { load: () => Promise<T>; calls: () => number } {
  let calls = 0;
  return {
    load: async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 30));
      return answer();
    },
    calls: () => calls,
  };
}

describe.each(kinds)('Class: ReadThroughCache over %s', (_kind, makeStore) => {
  it('makes one load for twenty concurrent identical misses, all equal (case 24)', async () => {
    const cache = new ReadThroughCache({ store: makeStore() });
    const { load, calls } = countedLoad(() => ({ variants: ['冷泡乌龙，清爽一夏'] }));

    const results = await Promise.all(
      Array.from({ length: 20 }, () => cache.getOrLoad('copy:k1', load, { ttlSeconds: 60 })),
    );

    expect(calls()).toBe(1);
    expect(results.map((result) => result.value)).toEqual(
      Array(20).fill({ variants: ['冷泡乌龙，清爽一夏'] }),
    );
    expect(results.every((result) => !result.cached)).toBe(true);
    expect(cache.stats()).toEqual({
      hits: 0,
      misses: 20,
      coalesced: 19,
      storeErrors: 0,
      hitRatio: 0,
    });
  });

  it('serves the next request from the store without a load', async () => {
    const cache = new ReadThroughCache({ store: makeStore() });
    const { load, calls } = countedLoad(() => 'copy');
    await cache.getOrLoad('copy:k2', load, { ttlSeconds: 60 });

    const second = await cache.getOrLoad('copy:k2', load, { ttlSeconds: 60 });

    expect(second).toEqual({ value: 'copy', cached: true });
    expect(calls()).toBe(1);
    expect(cache.stats().hitRatio).toBe(0.5);
  });

  it('gives all waiters a failed load’s error, stores nothing, loads again (cases 23, 24)', async () => {
    const store = makeStore();
    const cache = new ReadThroughCache({ store });
    let fail = true;
    const { load, calls } = countedLoad(() => {
      if (fail) throw new Error('engine down');
      return 'recovered';
    });

    const failures = await Promise.allSettled(
      Array.from({ length: 20 }, () => cache.getOrLoad('copy:k3', load, { ttlSeconds: 60 })),
    );
    fail = false;
    const retried = await cache.getOrLoad('copy:k3', load, { ttlSeconds: 60 });

    expect(failures.map((failure) => failure.status)).toEqual(Array(20).fill('rejected'));
    expect(failures.map((failure) => (failure as PromiseRejectedResult).reason.message)).toEqual(
      Array(20).fill('engine down'),
    );
    expect(retried).toEqual({ value: 'recovered', cached: false });
    expect(calls()).toBe(2);
    expect(await store.get('copy:k3')).toBe('recovered');
  });

  it('does not store a value that shouldStore refuses', async () => {
    const store = makeStore();
    const cache = new ReadThroughCache({ store });

    const result = await cache.getOrLoad('copy:k4', async () => ({ degraded: true }), {
      ttlSeconds: 60,
      shouldStore: (value) => !value.degraded,
    });

    expect(result.value).toEqual({ degraded: true });
    expect(await store.get('copy:k4')).toBeUndefined();
  });

  it('gives each waiter its own copy of a shared answer', async () => {
    const cache = new ReadThroughCache({ store: makeStore() });
    const { load } = countedLoad(() => ({ variants: ['a'] }));

    const [first, second] = await Promise.all([
      cache.getOrLoad('copy:k5', load, { ttlSeconds: 60 }),
      cache.getOrLoad('copy:k5', load, { ttlSeconds: 60 }),
    ]);
    first?.value.variants.push('changed');

    expect(second?.value).toEqual({ variants: ['a'] });
  });

  it('fails before any load for a bad ttlSeconds', async () => {
    const cache = new ReadThroughCache({ store: makeStore() });
    const { load, calls } = countedLoad(() => 1);

    await expect(cache.getOrLoad('copy:k6', load, { ttlSeconds: 0 })).rejects.toThrow(/ttlSeconds/);
    expect(calls()).toBe(0);
  });
});

describe('Class: ReadThroughCache over an unreachable Redis', () => {
  it('loads the value, logs the store failures, and counts them', async () => {
    // a port that was just free: nothing listens there
    const deadRedis = await startTestRedis();
    await deadRedis.stop();
    const store = new RedisCacheStore({ url: deadRedis.url, commandTimeoutMs: 200 });
    const warnings: Array<Record<string, unknown> | undefined> = [];
    const cache = new ReadThroughCache({
      store,
      logger: { warn: (_message, attrs) => warnings.push(attrs) },
    });

    const result = await cache.getOrLoad('copy:k7', async () => 'fresh', { ttlSeconds: 60 });

    expect(result).toEqual({ value: 'fresh', cached: false });
    expect(cache.stats().storeErrors).toBe(2);
    expect(warnings.map((attrs) => attrs?.operation)).toEqual(['get', 'set']);
    store.client.disconnect();
  });

  it('skips the cache at once while Redis is down and uses it again once it is back', async () => {
    const redis = await startTestRedis();
    const store = new RedisCacheStore({ url: redis.url, commandTimeoutMs: 2000 });
    const cache = new ReadThroughCache({ store });
    await cache.getOrLoad('copy:k8', async () => 'before', { ttlSeconds: 60 });

    await redis.stop();
    await waitFor(() => store.client.status === 'reconnecting');
    const started = performance.now();
    const during = await cache.getOrLoad('copy:k9', async () => 'during', { ttlSeconds: 60 });
    const duringMs = performance.now() - started;

    const again = await startTestRedis({ port: redis.port });
    await waitFor(() => store.client.status === 'ready');
    await cache.getOrLoad('copy:k10', async () => 'after', { ttlSeconds: 60 });
    const stored = await store.get('copy:k10');

    // far below the 2 s command timeout: the outage is noticed without waiting
    expect(duringMs).toBeLessThan(100);
    expect(during).toEqual({ value: 'during', cached: false });
    expect(cache.stats().storeErrors).toBe(2);
    expect(stored).toBe('after');
    await store.close();
    await again.stop();
  });
});

/** Polls `condition` every 20 ms for up to 10 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 10_000) throw new Error('condition not met in 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Class: SingleFlight', () => {
  it('runs calls for different keys side by side', async () => {
    const flights = new SingleFlight<string>();
    let running = 0;
    let peak = 0;
    const call = (value: string) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      return value;
    };

    const results = await Promise.all([flights.run('a', call('A')), flights.run('b', call('B'))]);

    expect(results).toEqual([
      { value: 'A', shared: false },
      { value: 'B', shared: false },
    ]);
    expect(peak).toBe(2);
    expect(flights.size).toBe(0);
  });

  it('frees the key after a call that throws synchronously', async () => {
    const flights = new SingleFlight<string>();

    await expect(
      flights.run('a', () => {
        throw new Error('bad');
      }),
    ).rejects.toThrow('bad');

    expect(flights.size).toBe(0);
    expect(await flights.run('a', async () => 'ok')).toEqual({ value: 'ok', shared: false });
  });
});
