/**
 * @module cache/types
 * The store interfaces the cache, the single-flight loader and the session history share, so the
 * same code runs over process memory or Redis.
 */

/** A value that survives a JSON round trip unchanged. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A key/value store of JSON values with a time to live. Values come back as fresh copies (they
 * are stored serialised), so a caller mutating a value never changes what is cached.
 */
export interface CacheStore {
  /** A short name for logs, e.g. `memory` or `redis`. */
  readonly kind: string;
  /** The stored value, or undefined on a miss or after it expired. */
  get<T extends JsonValue = JsonValue>(key: string): Promise<T | undefined>;
  /** Stores `value` for `ttlSeconds` (a positive whole number). */
  set(key: string, value: JsonValue, ttlSeconds: number): Promise<void>;
  /** Removes the key; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
}

/**
 * Bounded lists with a time to live, for per-session history. Appending is atomic in each store,
 * so two requests of one session never lose each other's entries.
 */
export interface ListStore {
  /**
   * Appends `value`, keeps the newest `maxLength` entries and restarts the list's time to live.
   * @returns the list's length after trimming
   */
  append(key: string, value: JsonValue, maxLength: number, ttlSeconds: number): Promise<number>;
  /** The whole list, oldest first; empty when missing or expired. */
  list<T extends JsonValue = JsonValue>(key: string): Promise<T[]>;
}

/** The logging methods the cache needs; a Powertools `Logger` fits. */
export interface CacheLogger {
  warn(message: string, ...attributes: Array<Record<string, unknown>>): void;
}

/** A logger that drops everything. */
export const silentCacheLogger: CacheLogger = { warn: () => undefined };

/** Bad input to a store or key function: a bad TTL, a value JSON cannot hold, a bad session id. */
export class CacheInputError extends TypeError {
  override readonly name = 'CacheInputError';
}

/** Checks a time to live: a whole number of seconds, at least 1. */
export function checkTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
    throw new CacheInputError(`ttlSeconds must be a whole number >= 1, got ${String(ttlSeconds)}`);
  }
}

/** Checks a list bound: a whole number, at least 1. */
export function checkMaxLength(maxLength: number): void {
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new CacheInputError(`maxLength must be a whole number >= 1, got ${String(maxLength)}`);
  }
}

/** JSON text of a value to store; undefined (JSON.stringify gives nothing for it) is refused. */
export function serialise(value: JsonValue): string {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new CacheInputError('a cache value must be JSON, got undefined');
  return text;
}
