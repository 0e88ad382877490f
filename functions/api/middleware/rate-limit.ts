/**
 * A token bucket per caller: `burst` requests at once, refilled at `perSecond`. Over the limit is
 * a 429 with the seconds until the next token in `Retry-After`.
 *
 * Buckets live in the memory of one API instance, so with several Lambda instances each enforces
 * its own share; the WAF rate rule in front is the account-wide limit.
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { LRUCache } from 'lru-cache';

import { ProblemError } from '../problems.js';
import { OPEN_CALLER } from './api-key.js';

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /** Tokens added per second. @default 5 */
  perSecond?: number;
  /** Bucket size: the largest burst. @default 20 */
  burst?: number;
  /** Routes that are never limited (health checks). @default [] */
  open?: string[];
  /** @default () => Date.now() */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * Limits each caller (`c.get('caller')`, set by the API-key middleware).
 *
 * @example
 * app.use(rateLimit({ perSecond: 5, burst: 20 }));
 */
export function rateLimit({
  perSecond = 5,
  burst = 20,
  open = [],
  now = Date.now,
}: RateLimitOptions = {}): MiddlewareHandler {
  // Bounded: an attacker cycling caller ids cannot grow memory without limit.
  const buckets = new LRUCache<string, Bucket>({ max: 10_000 });

  return async function rateLimit(c, next) {
    if (open.includes(c.req.path)) return next();

    const caller = (c.get('caller') as string | undefined) ?? OPEN_CALLER;
    const at = now();
    const bucket = refill(
      buckets.get(caller) ?? { tokens: burst, updatedMs: at },
      at,
      perSecond,
      burst,
    );
    if (bucket.tokens < 1) {
      buckets.set(caller, bucket);
      const retryAfterS = (1 - bucket.tokens) / perSecond;
      throw new ProblemError('rate_limited', `more than ${perSecond} requests per second`, {
        retryAfterS,
      });
    }

    buckets.set(caller, { ...bucket, tokens: bucket.tokens - 1 });
    await next();
  };
}

function refill(bucket: Bucket, at: number, perSecond: number, burst: number): Bucket {
  const elapsedS = Math.max(0, at - bucket.updatedMs) / 1000;
  return { tokens: Math.min(burst, bucket.tokens + elapsedS * perSecond), updatedMs: at };
}
