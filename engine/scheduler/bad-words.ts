/**
 * @module
 * Bad-words banning at the byte level, the way TensorRT-LLM's bad-words list works but over every
 * way the vocabulary could spell a phrase: a token is banned when it would complete a phrase,
 * given the bytes already generated, or when it holds a whole phrase itself.
 */

/** Compares two byte strings lexicographically. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const most = Math.min(a.length, b.length);
  for (let i = 0; i < most; i++) {
    const diff = (a[i] as number) - (b[i] as number);
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function endsWith(bytes: readonly number[], suffix: Uint8Array): boolean {
  if (bytes.length < suffix.length) return false;
  const offset = bytes.length - suffix.length;
  for (let i = 0; i < suffix.length; i++) if (bytes[offset + i] !== suffix[i]) return false;
  return true;
}

/**
 * The vocabulary's token bytes, sorted so that "every token starting with these bytes" is a
 * binary search. Built once per model.
 * @example
 * const vocabulary = new VocabularyIndex(backend.vocabularySize, (t) => backend.tokenBytes(t));
 */
export class VocabularyIndex {
  readonly #bytes: Uint8Array[];
  readonly #sorted: number[];

  /**
   * @param size number of tokens
   * @param bytesOf the raw bytes of a token
   */
  constructor(size: number, bytesOf: (token: number) => Uint8Array) {
    this.#bytes = Array.from({ length: size }, (_, token) => bytesOf(token));
    this.#sorted = Array.from({ length: size }, (_, token) => token)
      .filter((token) => (this.#bytes[token] as Uint8Array).length > 0)
      .sort((a, b) => compareBytes(this.#bytes[a] as Uint8Array, this.#bytes[b] as Uint8Array));
  }

  /** Bytes of `token`. */
  bytesOf(token: number): Uint8Array {
    return this.#bytes[token] ?? new Uint8Array();
  }

  /** Every token whose bytes start with `prefix`. */
  tokensStartingWith(prefix: Uint8Array): number[] {
    const first = this.#lowerBound(prefix);
    const tokens: number[] = [];

    for (let i = first; i < this.#sorted.length; i++) {
      const token = this.#sorted[i] as number;
      if (!startsWith(this.#bytes[token] as Uint8Array, prefix)) break;
      tokens.push(token);
    }

    return tokens;
  }

  /** Every token whose bytes contain `needle` somewhere. */
  tokensContaining(needle: Uint8Array): number[] {
    const tokens: number[] = [];
    const needleBuffer = Buffer.from(needle);

    this.#bytes.forEach((bytes, token) => {
      if (bytes.length >= needle.length && Buffer.from(bytes.buffer, bytes.byteOffset,
        bytes.length).includes(needleBuffer)) {
        tokens.push(token);
      }
    });

    return tokens;
  }

  #lowerBound(prefix: Uint8Array): number {
    let low = 0;
    let high = this.#sorted.length;

    while (low < high) {
      const middle = (low + high) >>> 1;
      const bytes = this.#bytes[this.#sorted[middle] as number] as Uint8Array;
      if (compareBytes(bytes, prefix) < 0) low = middle + 1;
      else high = middle;
    }

    return low;
  }
}

/**
 * The bad-words list of one request. Ask it, before each sampling step, which tokens the next
 * one must not be.
 * @example
 * const guard = new BadWordsGuard(vocabulary, ['全国第一']);
 * const banned = guard.bannedNext(generatedTokens);
 */
export class BadWordsGuard {
  readonly #vocabulary: VocabularyIndex;
  readonly #phrases: Uint8Array[];
  readonly #alwaysBanned: number[];
  readonly #tailBytes: number;

  /**
   * @param vocabulary the model's token bytes
   * @param phrases phrases that must never appear in the output (empty ones are ignored)
   */
  constructor(vocabulary: VocabularyIndex, phrases: readonly string[]) {
    const encoder = new TextEncoder();
    this.#vocabulary = vocabulary;
    this.#phrases = [...new Set(phrases)].filter((p) => p.length > 0).map((p) => encoder.encode(p));
    this.#alwaysBanned = [...new Set(this.#phrases.flatMap((p) => vocabulary.tokensContaining(p)))];
    this.#tailBytes = Math.max(0, ...this.#phrases.map((phrase) => phrase.length - 1));
  }

  /** True when the list bans nothing. */
  get empty(): boolean {
    return this.#phrases.length === 0;
  }

  /** Tokens that must not come next after `generated`. */
  bannedNext(generated: readonly number[]): number[] {
    if (this.#phrases.length === 0) return [];

    const tail = this.#tail(generated);
    const banned = new Set(this.#alwaysBanned);

    for (const phrase of this.#phrases) {
      // The text already ends with the first `k` bytes of the phrase: ban every token whose bytes
      // start with the rest of it.
      for (let k = 1; k < phrase.length; k++) {
        if (!endsWith(tail, phrase.subarray(0, k))) continue;
        for (const token of this.#vocabulary.tokensStartingWith(phrase.subarray(k))) {
          banned.add(token);
        }
      }
    }

    return [...banned];
  }

  /** The last bytes of the generated text, as many as the longest phrase could need. */
  #tail(generated: readonly number[]): number[] {
    const tail: number[] = [];

    for (let i = generated.length - 1; i >= 0 && tail.length < this.#tailBytes; i--) {
      const bytes = this.#vocabulary.bytesOf(generated[i] as number);
      tail.unshift(...bytes);
    }

    return tail.slice(Math.max(0, tail.length - this.#tailBytes));
  }
}
