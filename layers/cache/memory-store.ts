/**
 * @module cache/memory-store
 * The default store: a bounded LRU in process memory (one per Lambda instance or local server).
 */
import { LRUCache } from 'lru-cache';

import {
  checkMaxLength,
  checkTtl,
  serialise,
  type CacheStore,
  type JsonValue,
  type ListStore,
} from './types.js';

/** Options of {@link MemoryCacheStore}. */
export interface MemoryCacheStoreOptions {
  /** Most entries held; the least recently used go first. @default 1000 */
  maxEntries?: number;
  /** Most characters of serialised JSON held in all. @default 50_000_000 (about 100 MB) */
  maxChars?: number;
}

/**
 * A bounded in-memory store. Values are kept as JSON text: reads return fresh copies and the size
 * bound counts what is really held. Lists are kept as JSON arrays under the same bound.
 * @example
 * const store = new MemoryCacheStore({ maxEntries: 500 });
 * await store.set('copy:v1:ab12', { variants: ['...'] }, 3600);
 */
export class MemoryCacheStore implements CacheStore, ListStore {
  readonly kind = 'memory';
  private readonly entries: LRUCache<string, string>;

  constructor(options: MemoryCacheStoreOptions = {}) {
    this.entries = new LRUCache<string, string>({
      max: options.maxEntries ?? 1000,
      maxSize: options.maxChars ?? 50_000_000,
      sizeCalculation: (text) => Math.max(1, text.length),
    });
  }

  /** @inheritdoc */
  async get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined> {
    const text = this.entries.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  /** @inheritdoc */
  async set(key: string, value: JsonValue, ttlSeconds: number): Promise<void> {
    checkTtl(ttlSeconds);
    this.entries.set(key, serialise(value), { ttl: ttlSeconds * 1000 });
  }

  /** @inheritdoc */
  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  /** @inheritdoc */
  async append(
    key: string,
    value: JsonValue,
    maxLength: number,
    ttlSeconds: number,
  ): Promise<number> {
    checkTtl(ttlSeconds);
    checkMaxLength(maxLength);

    // read, change and write happen in one synchronous step, so appends never interleave
    const text = this.entries.get(key);
    const items = text === undefined ? [] : (JSON.parse(text) as JsonValue[]);
    items.push(value);
    const kept = items.slice(-maxLength);
    this.entries.set(key, JSON.stringify(kept), { ttl: ttlSeconds * 1000 });
    return kept.length;
  }

  /** @inheritdoc */
  async list<T extends JsonValue = JsonValue>(key: string): Promise<T[]> {
    const text = this.entries.get(key);
    return text === undefined ? [] : (JSON.parse(text) as T[]);
  }

  /** Drops every entry; here so both stores close alike. */
  async close(): Promise<void> {
    this.entries.clear();
  }
}
