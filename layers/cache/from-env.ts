/**
 * @module cache/from-env
 * Picks the store from the environment: in-memory by default, Redis when `REDIS_URL` is set.
 */
import { MemoryCacheStore } from './memory-store.js';
import { RedisCacheStore } from './redis-store.js';
import type { CacheLogger, CacheStore, ListStore } from './types.js';

/** The variables {@link createCacheFromEnv} reads. */
export interface CacheEnv {
  /** `redis://` or `rediss://` URL of a shared Redis. */
  REDIS_URL?: string;
  /** Most entries of the in-memory store. */
  CACHE_MAX_ENTRIES?: string;
  [name: string]: string | undefined;
}

/** A store for the cache and the sessions that can be closed at shutdown. */
export type ManagedStore = CacheStore & ListStore & { close(): Promise<void> };

/** Reads a positive whole number, naming the variable when it is not one. */
function readCount(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) {
    throw new TypeError(`${name} must be a whole number >= 1, got ${JSON.stringify(value)}`);
  }
  return count;
}

/**
 * The store the environment asks for.
 * @param env usually `process.env`
 * @example
 * const store = createCacheFromEnv(process.env, { logger });
 * const cache = new ReadThroughCache({ store, logger });
 * const sessions = new SessionStore({ store });
 */
export function createCacheFromEnv(
  env: CacheEnv,
  options: { logger?: CacheLogger } = {},
): ManagedStore {
  const redisUrl = env.REDIS_URL?.trim();
  if (redisUrl) {
    if (!/^rediss?:\/\//.test(redisUrl)) {
      throw new TypeError('REDIS_URL must start with redis:// or rediss://');
    }
    return new RedisCacheStore({ url: redisUrl, ...options });
  }

  const maxEntries = readCount('CACHE_MAX_ENTRIES', env.CACHE_MAX_ENTRIES);
  return new MemoryCacheStore(maxEntries ? { maxEntries } : {});
}
