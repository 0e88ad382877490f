/**
 * @module
 * Turns a candidate's token bytes into text that is safe to show: never half a UTF-8 character,
 * never text that a stop string could still take back.
 */

/** What one push of token bytes gave. */
export interface TextStep {
  /** Text that can be sent to the client now (may be empty). */
  text: string;
  /** True when a stop string was found; `text` then ends right before it. */
  stopped: boolean;
}

/**
 * Decoded text without what a decoder turned into U+FFFD: bytes that can never form a character
 * (random weights write them) are dropped rather than shown. The bad-words ban matches phrases
 * against text made the same way.
 */
export function withoutStrayBytes(decoded: string): string {
  return decoded.replaceAll('\uFFFD', '');
}

/** Length of the longest suffix of `text` that is a proper prefix of some stop string. */
function heldBackLength(text: string, stops: readonly string[]): number {
  let longest = 0;

  for (const stop of stops) {
    const most = Math.min(stop.length - 1, text.length);

    for (let size = most; size > longest; size--) {
      if (text.endsWith(stop.slice(0, size))) {
        longest = size;
        break;
      }
    }
  }

  return longest;
}

/**
 * The text side of one candidate. Feed it the bytes of each kept token; it answers with what may
 * be emitted. The decoder holds incomplete UTF-8 sequences, and the tail that might begin a stop
 * string waits until the next token shows whether it does.
 * @example
 * const stream = new TextStream(['</end>']);
 * stream.push(bytesOf('Hello </')); // { text: 'Hello ', stopped: false }
 * stream.push(bytesOf('end>'));     // { text: '', stopped: true }
 */
export class TextStream {
  readonly #decoder = new TextDecoder('utf-8', { fatal: false });
  readonly #stops: readonly string[];
  #pending = '';
  #emitted = '';
  #stopped = false;

  /** @param stops stop strings; empty strings are ignored */
  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((stop) => stop.length > 0);
  }

  /** All text emitted so far. */
  get text(): string {
    return this.#emitted;
  }

  /** Adds a token's bytes and returns what can be emitted now. */
  push(bytes: Uint8Array): TextStep {
    if (this.#stopped) return { text: '', stopped: true };

    // In stream mode the decoder keeps an unfinished character for the next token.
    this.#pending += withoutStrayBytes(this.#decoder.decode(bytes, { stream: true }));

    return this.#release();
  }

  /**
   * Ends the stream (length, end token, cancel): text held back for a possible stop string is
   * released, and bytes of an unfinished character are dropped rather than shown as U+FFFD.
   */
  finish(): string {
    if (this.#stopped) return '';

    const rest = this.#pending;
    this.#pending = '';
    this.#emitted += rest;

    return rest;
  }

  #release(): TextStep {
    // Emitted text never holds the start of a stop string (a possible start stays pending), so
    // searching the pending text is enough.
    let cut = -1;

    for (const stop of this.#stops) {
      const at = this.#pending.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }

    if (cut >= 0) {
      const text = this.#pending.slice(0, cut);
      this.#emitted += text;
      this.#pending = '';
      this.#stopped = true;
      return { text, stopped: true };
    }

    const keep = heldBackLength(this.#pending, this.#stops);
    const text = this.#pending.slice(0, this.#pending.length - keep);
    this.#pending = this.#pending.slice(this.#pending.length - keep);
    this.#emitted += text;

    return { text, stopped: false };
  }
}
