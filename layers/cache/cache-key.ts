/**
 * @module cache/cache-key
 * Cache keys from canonical JSON: the same value gives the same key whatever its key order, and
 * values that differ anywhere, nested fields included, give different keys (case 22).
 */
import { createHash } from 'node:crypto';

import { CacheInputError } from './types.js';

/** Namespaces are short names such as `copy:v1`; no spaces so keys stay readable in Redis. */
const NAMESPACE = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Writes `value` as JSON with object keys sorted at every depth. Follows JSON.stringify for what it
 * drops (undefined object fields) and calls `toJSON` (dates), but refuses what JSON would silently
 * change: NaN and infinities, bigint, functions, symbols, undefined in arrays, and cycles.
 * @param value any JSON-like value
 * @example canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }) // '{"a":[2,{"c":4,"d":3}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

/** Serialises one value; `path` names it in errors, `open` holds the objects being written. */
function write(value: unknown, path: string, open: Set<object>): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean')
    return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new CacheInputError(`${path} is ${value}, which JSON cannot hold`);
    return JSON.stringify(value);
  }
  if (typeof value !== 'object')
    throw new CacheInputError(`${path} is a ${typeof value}, which JSON cannot hold`);

  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return write(json.call(value), path, open);
  if (open.has(value)) throw new CacheInputError(`${path} refers back to itself`);

  open.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value.map((item, i) => {
        if (item === undefined) throw new CacheInputError(`${path}[${i}] is undefined`);
        return write(item, `${path}[${i}]`, open);
      });
      return `[${items.join(',')}]`;
    }
    const record = value as Record<string, unknown>;
    const fields = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${write(record[key], `${path}.${key}`, open)}`);
    return `{${fields.join(',')}}`;
  } finally {
    open.delete(value);
  }
}

/**
 * A cache key: `<namespace>:<sha256 of the canonical JSON>`. Normalising whitespace inside strings
 * is the caller's job (the brief schema does it): only the caller knows which fields are text.
 * @param namespace what the key is for and its version, e.g. `copy:v1`
 * @param value what identifies the entry: normalised brief, model, variant, sampling parameters
 * @example cacheKey('copy:v1', { brief, model: 'adcopy-dev', variant: 'A', temperature: 0.8 })
 */
export function cacheKey(namespace: string, value: unknown): string {
  if (!NAMESPACE.test(namespace)) {
    throw new CacheInputError(
      `namespace must match ${NAMESPACE.source}, got ${JSON.stringify(namespace)}`,
    );
  }
  const digest = createHash('sha256').update(canonicalJson(value)).digest('hex');
  return `${namespace}:${digest}`;
}
