/**
 * API keys: required whenever keys are configured. Keys are stored only as SHA-256 hashes and a
 * presented key is compared with every stored hash in constant time.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import type { Context, MiddlewareHandler } from 'hono';

import { problemResponse, ProblemError } from '../problems.js';

/** A stored key: who it belongs to and the SHA-256 of the key. */
export interface StoredApiKey {
  id: string;
  sha256: Buffer;
}

/** The caller of an API without keys; no key may take this id. */
export const OPEN_CALLER = 'anonymous';

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
    .map((entry, index) => {
      // The hash is the part after the last colon, so an id may itself contain colons.
      const split = entry.lastIndexOf(':');
      const id = entry.slice(0, Math.max(0, split));
      const hex = entry.slice(split + 1);
      if (split <= 0 || !/^[0-9a-f]{64}$/i.test(hex)) {
        // Never echo the entry: a raw key pasted by mistake would end up in the logs.
        throw new Error(`API key entry ${index + 1} is not "id:sha256-hex" (64 hex digits)`);
      }
      if (id === OPEN_CALLER) {
        throw new Error(`API key entry ${index + 1} uses the reserved id "${OPEN_CALLER}"`);
      }
      return { id, sha256: Buffer.from(hex, 'hex') };
    });
}

/** Options of {@link apiKey}. */
export interface ApiKeyOptions {
  /** The accepted keys; none leaves the API open. */
  keys: StoredApiKey[];
  /** Paths that need no key (probes, documentation). @default [] */
  open?: string[];
}

/**
 * Requires a valid key on every route except the open ones; sets `c.get('caller')` to the key's id.
 * With no keys configured every request passes, as the caller `anonymous`. A missing key is a 401,
 * a wrong one a 403; the key itself is never logged or echoed.
 *
 * @example
 * app.use(apiKey({ keys: parseStoredKeys(process.env.API_KEYS ?? ''), open: ['/v1/health'] }));
 */
export function apiKey({ keys, open = [] }: ApiKeyOptions): MiddlewareHandler {
  return async function apiKey(c, next) {
    if (keys.length === 0 || open.includes(c.req.path)) {
      c.set('caller', OPEN_CALLER);
      return next();
    }

    const presented = presentedKey(c);
    if (!presented) return askForKey(c);
    const match = findKey(keys, sha256(presented));
    if (!match) throw new ProblemError('forbidden', 'the API key is not valid');

    c.set('caller', match.id);
    await next();
  };
}

/** A 401 with the challenge RFC 9110 requires, so clients know which scheme to send. */
function askForKey(c: Context): Response {
  const problem = new ProblemError(
    'unauthorized',
    'send your key as "x-api-key: <key>" or "Authorization: Bearer <key>"',
  );
  const response = problemResponse(c, problem);
  response.headers.set('www-authenticate', 'Bearer realm="adcopy"');
  return response;
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
