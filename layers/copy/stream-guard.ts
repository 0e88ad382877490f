/**
 * Streaming that never shows what the checker would refuse: each candidate's text is held back
 * by a margin and checked before it is released, so a claim written over several tokens
 * ("全国第" + "一") is caught before its first part reaches the client.
 * @module
 */
import { checkText } from '../compliance/index.js';
import type { TokenListener } from './answer.js';
import type { Brief } from './brief.js';
import { copyTextOf } from './partial-json.js';
import { stripUnprintable } from './variants.js';

/**
 * Characters held back from the end of each candidate. A blocked term is caught while its start
 * is still held, unless an evasion spreads one term over more than this many characters.
 */
export const HOLD_BACK_CHARS = 32;

type Candidate = { raw: string; text: string; released: number; blocked: boolean };

/**
 * Releases candidate text to a listener only once the compliance checker has seen what follows
 * it; a candidate with a blocking violation releases nothing more.
 *
 * @example
 * const guard = new StreamGuard(brief, (token) => sse.write(token));
 * guard.push(0, 0, '好茶，');            // held
 * guard.finish(0, 0, true);             // released: the candidate passed
 */
export class StreamGuard {
  private readonly candidates = new Map<string, Candidate>();

  /**
   * @param structured candidates are JSON objects: only their copy fields are shown, never
   *   the syntax or the reasoning field
   */
  constructor(
    private readonly brief: Brief,
    private readonly listener: TokenListener,
    private readonly structured = false,
  ) {}

  /** Adds a piece of candidate text and releases what is safe to show. */
  push(attempt: number, candidate: number, piece: string): void {
    const state = this.state(attempt, candidate);
    state.raw += piece;
    state.text = stripUnprintable(this.structured ? copyTextOf(state.raw) : state.raw);
    if (state.blocked) return;

    if (this.blocks(state.text)) {
      state.blocked = true;
      return;
    }
    this.release(
      attempt,
      candidate,
      state,
      safeEnd(state.text, state.text.length - HOLD_BACK_CHARS),
    );
  }

  /** Ends a candidate: the rest is released only when the pipeline accepted it. */
  finish(attempt: number, candidate: number, accepted: boolean): void {
    const state = this.state(attempt, candidate);
    if (accepted && !state.blocked) this.release(attempt, candidate, state, state.text.length);
    this.candidates.delete(`${attempt}:${candidate}`);
  }

  private blocks(text: string): boolean {
    const result = checkText(text, {
      language: this.brief.language,
      ...(this.brief.brandVoice && { brand: this.brief.brandVoice }),
    });
    return !result.passed;
  }

  private release(attempt: number, candidate: number, state: Candidate, end: number): void {
    if (end <= state.released) return;
    this.listener({ attempt, candidate, text: state.text.slice(state.released, end) });
    state.released = end;
  }

  private state(attempt: number, candidate: number): Candidate {
    const key = `${attempt}:${candidate}`;
    let state = this.candidates.get(key);
    if (!state) {
      state = { raw: '', text: '', released: 0, blocked: false };
      this.candidates.set(key, state);
    }
    return state;
  }
}

/** `end`, moved back off the second half of a surrogate pair so no character is split. */
function safeEnd(text: string, end: number): number {
  if (end <= 0) return 0;
  const code = text.charCodeAt(end);
  return code >= 0xdc00 && code <= 0xdfff ? end - 1 : end;
}
