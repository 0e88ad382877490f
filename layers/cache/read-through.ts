/**
 * @module cache/read-through
 * The cache as the pipeline uses it: look up, else load once for all concurrent callers, store
 * only what the caller says is worth storing, and count hits and misses for the hit-ratio metric.
 */
import { SingleFlight } from './single-flight.js';
import {
  checkTtl,
  silentCacheLogger,
  type CacheLogger,
  type CacheStore,
  type JsonValue,
} from './types.js';

/** Lookup counters since start; `hitRatio` is hits / (hits + misses), 0 before any lookup. */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Misses that joined a load already in flight instead of starting one. */
  coalesced: number;
  /** Store reads or writes that failed and were passed over. */
  storeErrors: number;
  hitRatio: number;
}

/** Options of one {@link ReadThroughCache.getOrLoad} call. */
export interface LoadOptions<T> {
  /** How long a stored value lives. */
  ttlSeconds: number;
  /**
   * Whether a loaded value may be stored; the pipeline stores only compliance-clean, non-degraded
   * answers (case 23). @default every loaded value is stored
   */
  shouldStore?: (value: T) => boolean;
}

/** What {@link ReadThroughCache.getOrLoad} returns. */
export interface LoadResult<T> {
  value: T;
  /** True when the value came from the store, not from `load`. */
  cached: boolean;
}

/** Options of {@link ReadThroughCache}. */
export interface ReadThroughCacheOptions {
  store: CacheStore;
  /** @default a logger that drops everything */
  logger?: CacheLogger;
}

/**
 * Read-through caching over any {@link CacheStore}. A failing store (Redis down) degrades to
 * misses and unsaved values, logged, rather than failing the request. Errors from `load` reach
 * every waiting caller and are never stored.
 * @example
 * const cache = new ReadThroughCache({ store, logger });
 * const { value, cached } = await cache.getOrLoad(key, () => generateCopies(brief), {
 *   ttlSeconds: 3600,
 *   shouldStore: (copies) => copies.every((copy) => copy.compliance.ok),
 * });
 */
export class ReadThroughCache {
  readonly store: CacheStore;
  private readonly logger: CacheLogger;
  private readonly flights = new SingleFlight<LoadResult<JsonValue>>();
  private readonly counts = { hits: 0, misses: 0, coalesced: 0, storeErrors: 0 };

  constructor(options: ReadThroughCacheOptions) {
    this.store = options.store;
    this.logger = options.logger ?? silentCacheLogger;
  }

  /**
   * The stored value for `key`, or the result of `load` (one call for all concurrent callers of
   * the same key; the store lookup itself is inside that one flight too).
   */
  async getOrLoad<T extends JsonValue>(
    key: string,
    load: () => Promise<T>,
    options: LoadOptions<T>,
  ): Promise<LoadResult<T>> {
    checkTtl(options.ttlSeconds);
    const flight = () => this.lookupOrLoad(key, load, options);
    const { value: result, shared } = await this.flights.run(key, flight);

    if (result.cached) this.counts.hits++;
    else this.counts.misses++;
    if (shared && !result.cached) this.counts.coalesced++;

    // callers that joined a flight get their own copy, so one caller's edits never reach another
    const value = shared ? structuredClone(result.value) : result.value;
    return { value: value as T, cached: result.cached };
  }

  /** Counters for the hit-ratio metric. */
  stats(): CacheStats {
    const lookups = this.counts.hits + this.counts.misses;
    return { ...this.counts, hitRatio: lookups === 0 ? 0 : this.counts.hits / lookups };
  }

  /** One flight: read the store, else load and maybe store. */
  private async lookupOrLoad<T extends JsonValue>(
    key: string,
    load: () => Promise<T>,
    options: LoadOptions<T>,
  ): Promise<LoadResult<JsonValue>> {
    const stored = await this.store
      .get<T>(key)
      .catch((err: unknown) => this.passOver('get', key, err));
    if (stored !== undefined) return { value: stored, cached: true };

    const value = await load();

    if (options.shouldStore?.(value) ?? true) {
      await this.store
        .set(key, value, options.ttlSeconds)
        .catch((err: unknown) => this.passOver('set', key, err));
    }
    return { value, cached: false };
  }

  /** Logs and counts a store failure; the request goes on without the cache. */
  private passOver(operation: string, key: string, err: unknown): undefined {
    this.counts.storeErrors++;
    this.logger.warn('cache store failed, going on without it', {
      operation,
      store: this.store.kind,
      cache_key: key,
      error: err instanceof Error ? err.message : String(err),
    });
    return undefined;
  }
}
