/**
 * Session history for rewrites: the brief and every variant a session has produced, kept in the
 * cache store (memory or Redis) with a time to live and a bounded length.
 * @module
 */
import type { JsonValue, ListStore } from '../../layers/cache/index.js';
import type { Brief, CopyResponse } from '../../layers/copy/index.js';

/** One entry of a session's history. */
type SessionEntry =
  { kind: 'brief'; brief: Brief } | { kind: 'variants'; texts: string[]; feedback?: string };

/** What a rewrite needs from the history. */
export interface SessionState {
  brief: Brief;
  /** Every variant the session produced, oldest first. */
  earlierVariants: string[];
}

/** Options of {@link SessionHistory}. */
export interface SessionHistoryOptions {
  /** @default 86400 (a day) */
  ttlSeconds?: number;
  /** Entries kept per session; older ones drop off. @default 60 */
  maxEntries?: number;
}

/**
 * Reads and appends session histories.
 *
 * @example
 * await sessions.record(brief, answer);
 * const state = await sessions.load('sess_demo_1'); // { brief, earlierVariants: [...] }
 */
export class SessionHistory {
  private readonly ttlSeconds: number;
  private readonly maxEntries: number;

  constructor(
    private readonly store: ListStore,
    { ttlSeconds = 86_400, maxEntries = 60 }: SessionHistoryOptions = {},
  ) {
    this.ttlSeconds = ttlSeconds;
    this.maxEntries = maxEntries;
  }

  /** Records a brief's answer under its session id (when it has one). */
  async record(brief: Brief, answer: CopyResponse, feedback?: string): Promise<void> {
    if (!brief.sessionId) return;
    const key = sessionKey(brief.sessionId);
    await this.append(key, { kind: 'brief', brief });
    const texts = answer.variants.map((variant) => variant.text);
    await this.append(key, { kind: 'variants', texts, ...(feedback && { feedback }) });
  }

  /** The session's latest brief and all its variants, or undefined when unknown or expired. */
  async load(sessionId: string): Promise<SessionState | undefined> {
    const entries = await this.store.list<JsonValue>(sessionKey(sessionId));
    let brief: Brief | undefined;
    const earlierVariants: string[] = [];

    for (const entry of entries as unknown as SessionEntry[]) {
      if (entry.kind === 'brief') brief = entry.brief;
      else earlierVariants.push(...entry.texts);
    }
    return brief ? { brief, earlierVariants } : undefined;
  }

  private async append(key: string, entry: SessionEntry): Promise<void> {
    await this.store.append(key, entry as unknown as JsonValue, this.maxEntries, this.ttlSeconds);
  }
}

function sessionKey(sessionId: string): string {
  return `session:v1:${sessionId}`;
}
