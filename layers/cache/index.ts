/**
 * @module cache
 * Response cache and session history over process memory or Redis.
 */
export { cacheKey, canonicalJson } from './cache-key.js';
export { createCacheFromEnv, type CacheEnv, type ManagedStore } from './from-env.js';
export { MemoryCacheStore, type MemoryCacheStoreOptions } from './memory-store.js';
export {
  ReadThroughCache,
  type CacheStats,
  type LoadOptions,
  type LoadResult,
  type ReadThroughCacheOptions,
} from './read-through.js';
export { RedisCacheStore, type RedisCacheStoreOptions } from './redis-store.js';
export { SessionStore, type SessionStoreOptions, type SessionTurn } from './session-store.js';
export { SingleFlight } from './single-flight.js';
export {
  CacheInputError,
  silentCacheLogger,
  type CacheLogger,
  type CacheStore,
  type JsonValue,
  type ListStore,
} from './types.js';
