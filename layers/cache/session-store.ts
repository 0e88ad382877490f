/**
 * @module cache/session-store
 * Per-session history for rewrites: the variants a session already got and the feedback on them,
 * kept on the same store as the cache (memory or Redis), bounded and expiring.
 */
import { CacheInputError, type CacheStore, type JsonValue, type ListStore } from './types.js';

/** One turn of a session: what was produced and what the marketer said about it. */
export type SessionTurn = {
  /** ISO time of the turn. */
  at: string;
  /** The variant texts produced in this turn. */
  variants: string[];
  /** The feedback that asked for this turn ("too formal", "太正式了"), absent on the first. */
  feedback?: string;
  /** The request that produced the turn, for tracing. */
  requestId?: string;
};

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions {
  store: CacheStore & ListStore;
  /** Idle time after which a session is forgotten; each turn restarts it. @default 86400 (a day) */
  ttlSeconds?: number;
  /** Most turns kept; older ones drop off first. @default 30 */
  maxTurns?: number;
}

/** Session ids travel in URLs and keys: letters, digits, `_` and `-`, up to 128. */
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Session history over a {@link ListStore}. Appends are atomic in both stores, so two rewrites
 * of one session at once both land. `T` must survive a JSON round trip.
 * @example
 * const sessions = new SessionStore({ store });
 * await sessions.append(id, { at: new Date().toISOString(), variants, feedback: '太正式了' });
 * const earlier = await sessions.history(sessionId);
 */
export class SessionStore<T = SessionTurn> {
  private readonly store: CacheStore & ListStore;
  private readonly ttlSeconds: number;
  private readonly maxTurns: number;

  constructor(options: SessionStoreOptions) {
    this.store = options.store;
    this.ttlSeconds = options.ttlSeconds ?? 86_400;
    this.maxTurns = options.maxTurns ?? 30;
  }

  /**
   * Adds a turn, drops the oldest beyond `maxTurns`, and restarts the session's time to live.
   * @returns how many turns the session holds now
   */
  async append(sessionId: string, turn: T): Promise<number> {
    const key = sessionKey(sessionId);
    return this.store.append(key, turn as JsonValue, this.maxTurns, this.ttlSeconds);
  }

  /** The session's turns, oldest first; empty for an unknown or expired session. */
  async history(sessionId: string): Promise<T[]> {
    return (await this.store.list(sessionKey(sessionId))) as T[];
  }

  /** Forgets a session. */
  async clear(sessionId: string): Promise<void> {
    await this.store.delete(sessionKey(sessionId));
  }
}

/** The store key of a session; refuses ids that could reach outside the session namespace. */
function sessionKey(sessionId: string): string {
  if (!SESSION_ID.test(sessionId)) {
    throw new CacheInputError(
      `session id must match ${SESSION_ID.source}, got ${JSON.stringify(sessionId.slice(0, 140))}`,
    );
  }
  return `session:${sessionId}`;
}
