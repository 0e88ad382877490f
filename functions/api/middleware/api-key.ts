/**
 * API keys: required whenever keys are configured. Keys are stored only as SHA-256 hashes and a
 * presented key is compared with every stored hash in constant time.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import type { Context, MiddlewareHandler } from 'hono';

import { ProblemError } from '../problems.js';

/** A stored key: who it belongs to and the SHA-256 of the key. */
export interface StoredApiKey {
  id: string;
  sha256: Buffer;
}

/**
 * Reads stored keys from `id:hex-sha256` entries separated by commas (the `API_KEYS` variable,
 * or the Secrets Manager secret in AWS).
 *
 * @example
 * parseStoredKeys('team-a:9f86d0...,team-b:60303a...')
 */
export function parseStoredKeys(text: string): StoredApiKey[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const [id, hex] = entry.split(':');
      if (!id || !hex || !/^[0-9a-f]{64}$/i.test(hex)) {
        throw new Error(`API key entries are "id:sha256-hex"; got one for "${id ?? ''}" that is not`);
      }
      return { id, sha256: Buffer.from(hex, 'hex') };
    });
}

/** The `id:sha256` entry to store for a new key. */
export function storedKeyEntry(id: string, key: string): string {
  return `${id}:${sha256(key).toString('hex')}`;
}

/**
 * Requires a valid key on every route except the open ones; sets `c.get('caller')` to the key's id.
 * With no keys configured every request passes, as the caller `anonymous`.
 */
export function apiKey({ keys, open = [] }: { keys: StoredApiKey[]; open?: string[] }): MiddlewareHandler {
  return async function apiKey(c, next) {
    if (keys.length === 0 || open.includes(c.req.path)) {
      c.set('caller', 'anonymous');
      return next();
    }

    const presented = presentedKey(c);
    if (!presented) throw new ProblemError('unauthorized', 'send your key as "Authorization: Bearer <key>"');
    const match = findKey(keys, sha256(presented));
    if (!match) throw new ProblemError('forbidden', 'the API key is not valid');

    c.set('caller', match.id);
    await next();
  };
}

function presentedKey(c: Context): string | undefined {
  const authorization = c.req.header('authorization');
  if (authorization?.toLowerCase().startsWith('bearer ')) return authorization.slice(7).trim();
  return c.req.header('x-api-key')?.trim() || undefined;
}

// Compares against every stored hash, so the time taken does not depend on which one matched.
function findKey(keys: StoredApiKey[], hash: Buffer): StoredApiKey | undefined {
  let found: StoredApiKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(key.sha256, hash) && !found) found = key;
  }
  return found;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
