/**
 * @module test/cache/store-kinds
 * The store kinds every cache behaviour table runs over: process memory and a real Redis.
 */
import { afterAll, beforeAll } from 'vitest';

import { MemoryCacheStore, RedisCacheStore } from '../../layers/cache/index.js';
import { startTestRedis, type TestRedis } from '../helpers/redis.js';

/** A test Redis plus the stores opened on it, closed after the file's tests. */
export interface StoreKinds {
  /** `[name, make a fresh empty store]` rows for `describe.each`. */
  kinds: Array<[string, () => MemoryCacheStore | RedisCacheStore]>;
  /** The running test Redis (set once `beforeAll` has run). */
  redis: () => TestRedis;
  /** Opens a Redis store that is closed after the file's tests. */
  openRedisStore: (options?: { keyPrefix?: string; url?: string }) => RedisCacheStore;
}

/**
 * Starts a Redis for the calling test file and gives store factories; each Redis store gets its
 * own key prefix, so tests never see each other's keys.
 */
export function useStoreKinds(): StoreKinds {
  let redis: TestRedis | undefined;
  const opened: RedisCacheStore[] = [];

  beforeAll(async () => {
    redis = await startTestRedis();
  });

  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    await redis?.stop();
  });

  const running = (): TestRedis => {
    if (!redis) throw new Error('the test Redis is not started yet');
    return redis;
  };
  const openRedisStore = (options: { keyPrefix?: string; url?: string } = {}): RedisCacheStore => {
    const keyPrefix = options.keyPrefix ?? `t${opened.length}:`;
    const store = new RedisCacheStore({ url: options.url ?? running().url, keyPrefix });
    opened.push(store);
    return store;
  };

  return {
    kinds: [
      ['memory', () => new MemoryCacheStore()],
      ['redis', () => openRedisStore()],
    ],
    redis: running,
    openRedisStore,
  };
}
