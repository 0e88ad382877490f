/**
 * Replays cache hits of byte-identical briefs. Ad platforms resend the very same brief body
 * (retries, polling, many users of one template); for those the API keeps the serialised hit and
 * answers it again without parsing JSON, validating the brief or normalising its cache key,
 * which together cost several times what the HTTP exchange itself does.
 * @module
 */
import { LRUCache } from 'lru-cache';

import { newAnswerId, roundMs, type CopyResponse } from '../../layers/copy/index.js';

/** Options of {@link HitReplay}. */
export interface HitReplayOptions {
  /**
   * How long a hit is replayed. Kept short: the shared cache behind it may drop or expire the
   * entry, and a replay outlives that by at most this long. @default 10000
   */
  ttlMs?: number;
  /** Bytes of brief bodies and answers held at most. @default 8 MiB */
  maxBytes?: number;
}

/** A hit ready to answer again: the answer, and its JSON without the per-request fields. */
export interface ReplayedHit {
  answer: CopyResponse;
  /** The answer's JSON members other than `id` and `timings`, without the outer braces. */
  members: string;
  engineMs: number;
}

/**
 * Serialised cache hits keyed by the exact brief body and the A/B variant it was answered for.
 *
 * @example
 * const replay = new HitReplay();
 * const hit = replay.lookup(bodyText, variant);
 * if (hit) return c.body(replay.render(hit, requestId, started), 200, JSON_HEADERS);
 */
export class HitReplay {
  /** Answers replayed since start, counted as cache hits in the hit-ratio metric. */
  hits = 0;

  readonly #entries: LRUCache<string, ReplayedHit>;

  constructor({ ttlMs = 10_000, maxBytes = 8 * 1024 * 1024 }: HitReplayOptions = {}) {
    this.#entries = new LRUCache({
      ttl: ttlMs,
      maxSize: maxBytes,
      // UTF-16 strings take two bytes a unit; the answer object held beside its JSON measured
      // about as much again as the JSON, so the JSON counts twice.
      sizeCalculation: (hit, key) => 2 * key.length + 4 * hit.members.length,
    });
  }

  /** The replayable hit for this exact body and variant, if one is held. */
  lookup(bodyText: string, variant: string | undefined): ReplayedHit | undefined {
    const hit = this.#entries.get(keyOf(bodyText, variant));
    if (hit) this.hits++;
    return hit;
  }

  /**
   * Keeps `answer` for replay when it is a plain cache hit: a miss may not have been stored, a
   * degraded answer must never be served again, and a session's answer must be recorded in its
   * history each time, which a replay would skip.
   */
  remember(bodyText: string, variant: string | undefined, answer: CopyResponse): void {
    if (!answer.cached || answer.degraded || answer.sessionId !== undefined) return;

    const { id: _id, timings, ...rest } = answer;
    const members = JSON.stringify(rest).slice(1, -1);
    this.#entries.set(keyOf(bodyText, variant), { answer, members, engineMs: timings.engineMs });
  }

  /**
   * The hit as this request's answer: a fresh answer id and its own total time; `body` is its
   * JSON with the request id, as the full path would have written it.
   */
  render(hit: ReplayedHit, requestId: string, startedAt: number) {
    const id = newAnswerId();
    const timings = { totalMs: roundMs(performance.now() - startedAt), engineMs: hit.engineMs };
    const body =
      `{"id":"${id}",${hit.members},"timings":${JSON.stringify(timings)},` +
      `"requestId":${JSON.stringify(requestId)}}`;
    return { answer: { ...hit.answer, id, timings }, body };
  }
}

function keyOf(bodyText: string, variant: string | undefined): string {
  // A NUL never appears unescaped in JSON text, so the two parts cannot run into each other.
  return `${variant ?? ''}\u0000${bodyText}`;
}
