/**
 * @module cache/redis-store
 * The shared store for many Lambda instances: Redis (ElastiCache or a local server) via ioredis.
 */
import { Redis } from 'ioredis';

import {
  checkMaxLength,
  checkTtl,
  serialise,
  silentCacheLogger,
  type CacheLogger,
  type CacheStore,
  type JsonValue,
  type ListStore,
} from './types.js';

/** Options of {@link RedisCacheStore}: a `url` to connect to, or a `client` the caller owns. */
export interface RedisCacheStoreOptions {
  /** e.g. `redis://127.0.0.1:6379` or `rediss://...` for TLS. */
  url?: string;
  /** A connected client; the store then never closes it. */
  client?: Redis;
  /** Prefix of every key, so one Redis can serve several services. @default 'adcopy:' */
  keyPrefix?: string;
  /** Longest wait for one command before it fails (and the cache is passed over). @default 500 */
  commandTimeoutMs?: number;
  /** Told once each time the connection goes down. @default a logger that drops everything */
  logger?: CacheLogger;
}

/** Parses stored JSON; text that is not JSON (written by something else) is an error. */
function parseStored<T>(key: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`cache entry ${key} is not JSON`);
  }
}

/**
 * A {@link CacheStore} and {@link ListStore} on Redis. Values are JSON strings with `SET ... EX`;
 * session lists are Redis lists trimmed and re-expired in one MULTI, so appends are atomic.
 * Commands fail fast when Redis is away, so the caller can go on without the cache.
 * @example
 * const store = new RedisCacheStore({ url: process.env.REDIS_URL });
 * await store.set(cacheKey('copy:v1', brief), copies, 3600);
 * await store.close();
 */
export class RedisCacheStore implements CacheStore, ListStore {
  readonly kind = 'redis';
  readonly client: Redis;
  private readonly prefix: string;
  private readonly ownsClient: boolean;

  constructor(options: RedisCacheStoreOptions) {
    if (!options.client && !options.url) {
      throw new TypeError('RedisCacheStore needs a url or a client');
    }

    this.prefix = options.keyPrefix ?? 'adcopy:';
    this.ownsClient = !options.client;
    this.client =
      options.client ??
      new Redis(options.url as string, {
        commandTimeout: options.commandTimeoutMs ?? 500,
        connectTimeout: 2000,
        maxRetriesPerRequest: 1,
      });
    this.watchConnection(options.logger ?? silentCacheLogger);
  }

  /** @inheritdoc */
  async get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined> {
    this.assertConnected();
    const text = await this.client.get(this.prefix + key);
    return text === null ? undefined : parseStored<T>(key, text);
  }

  /** @inheritdoc */
  async set(key: string, value: JsonValue, ttlSeconds: number): Promise<void> {
    checkTtl(ttlSeconds);
    this.assertConnected();
    await this.client.set(this.prefix + key, serialise(value), 'EX', ttlSeconds);
  }

  /** @inheritdoc */
  async delete(key: string): Promise<void> {
    this.assertConnected();
    await this.client.del(this.prefix + key);
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
    this.assertConnected();

    const fullKey = this.prefix + key;
    const results = await this.client
      .multi()
      .rpush(fullKey, serialise(value))
      .ltrim(fullKey, -maxLength, -1)
      .expire(fullKey, ttlSeconds)
      .llen(fullKey)
      .exec();

    const failed = results?.find(([err]) => err !== null);
    if (!results || failed) throw failed?.[0] ?? new Error(`append to ${key} was aborted`);
    return results[3]?.[1] as number;
  }

  /** @inheritdoc */
  async list<T extends JsonValue = JsonValue>(key: string): Promise<T[]> {
    this.assertConnected();
    const texts = await this.client.lrange(this.prefix + key, 0, -1);
    return texts.map((text) => parseStored<T>(key, text));
  }

  /** Closes the connection if the store opened it. */
  async close(): Promise<void> {
    if (!this.ownsClient || this.client.status === 'end') return;
    await this.client.quit().catch(() => this.client.disconnect());
  }

  /**
   * Fails at once while the connection is lost, so that during an outage each request skips the
   * cache instead of waiting for a command timeout. While the first connection is still being made
   * commands queue as usual (a cold Lambda's first request waits for it).
   */
  private assertConnected(): void {
    const status = this.client.status;
    if (status === 'reconnecting' || status === 'close' || status === 'end') {
      throw new Error(`redis is unavailable (connection ${status})`);
    }
  }

  /**
   * Logs the first error of each outage; ioredis keeps reconnecting by itself, and without a
   * listener it would print every failed attempt to stderr.
   */
  private watchConnection(logger: CacheLogger): void {
    let down = false;
    this.client.on('error', (err: Error) => {
      if (down) return;
      down = true;
      logger.warn('redis connection failed; cache lookups are misses until it is back', {
        error: err.message,
      });
    });
    this.client.on('ready', () => {
      down = false;
    });
  }
}
