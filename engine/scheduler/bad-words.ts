/**
 * @module
 * Bad-words banning at the byte level, the way TensorRT-LLM's bad-words list works but over every
 * way the vocabulary could spell a phrase: a token is banned when it would complete a phrase,
 * given the text already generated as the client sees it, or when it holds a whole phrase.
 */

import { withoutStrayBytes } from './text-stream.js';

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

/**
 * The vocabulary's token bytes, sorted so that "every token starting with these bytes" is a
 * binary search. Built once per model.
 * @example
 * const vocabulary = new VocabularyIndex(backend.vocabularySize, (t) => backend.tokenBytes(t));
 */
export class VocabularyIndex {
  readonly #bytes: Buffer[];
  readonly #sorted: number[];
  /** Token ids, longest bytes first: only tokens at least as long as a needle can hold it. */
  readonly #byLength: number[];
  /**
   * Tokens that begin with UTF-8 continuation bytes, with the bytes after those. With no
   * unfinished character before it the text drops that start, and the rest is what shows.
   */
  readonly #continuationLed: Array<{ token: number; shown: Uint8Array }>;

  /**
   * @param size number of tokens
   * @param bytesOf the raw bytes of a token
   */
  constructor(size: number, bytesOf: (token: number) => Uint8Array) {
    this.#bytes = Array.from({ length: size }, (_, token) => {
      const bytes = bytesOf(token);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    });
    this.#sorted = Array.from({ length: size }, (_, token) => token)
      .filter((token) => (this.#bytes[token] as Uint8Array).length > 0)
      .sort((a, b) => compareBytes(this.#bytes[a] as Uint8Array, this.#bytes[b] as Uint8Array));
    this.#byLength = [...this.#sorted]
      .sort((a, b) => (this.#bytes[b] as Buffer).length - (this.#bytes[a] as Buffer).length);
    this.#continuationLed = this.#sorted.flatMap((token) => {
      const bytes = this.#bytes[token] as Buffer;
      const start = bytes.findIndex((byte) => byte < 0x80 || byte > 0xbf);
      return start > 0 ? [{ token, shown: bytes.subarray(start) }] : [];
    });
  }

  /** Bytes of `token`. */
  bytesOf(token: number): Uint8Array {
    return this.#bytes[token] ?? new Uint8Array();
  }

  /**
   * Every token whose bytes start with `prefix`, also after UTF-8 continuation bytes at its
   * start (which the text drops unless they finish a character).
   */
  tokensStartingWith(prefix: Uint8Array): number[] {
    const first = this.#lowerBound(prefix);
    const tokens: number[] = [];

    for (let i = first; i < this.#sorted.length; i++) {
      const token = this.#sorted[i] as number;
      if (!startsWith(this.#bytes[token] as Uint8Array, prefix)) break;
      tokens.push(token);
    }
    for (const { token, shown } of this.#continuationLed) {
      if (startsWith(shown, prefix)) tokens.push(token);
    }

    return tokens;
  }

  /** Every token whose bytes contain `needle` somewhere. */
  tokensContaining(needle: Uint8Array): number[] {
    const tokens: number[] = [];
    const needleBuffer = Buffer.from(needle);

    for (const token of this.#byLength) {
      const bytes = this.#bytes[token] as Buffer;
      if (bytes.length < needle.length) break;
      if (bytes.includes(needleBuffer)) tokens.push(token);
    }

    return tokens.sort((a, b) => a - b);
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

/** A map key for a byte string (one character per byte). */
function keyOf(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/** Whether `next` may follow `lead` as the second byte of a UTF-8 character. */
function fitsAfterLead(lead: number, next: number): boolean {
  if (lead === 0xe0) return next >= 0xa0 && next <= 0xbf;
  if (lead === 0xed) return next >= 0x80 && next <= 0x9f;
  if (lead === 0xf0) return next >= 0x90 && next <= 0xbf;
  if (lead === 0xf4) return next >= 0x80 && next <= 0x8f;
  return next >= 0x80 && next <= 0xbf;
}

/** Bytes of a UTF-8 character that starts with `lead`; 0 when no character starts with it. */
function characterSize(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * How many bytes at the end of `bytes` begin a character that the next token may still finish
 * (0 to 3): a text decoder holds these back instead of dropping them.
 */
function unfinishedLength(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const lead = bytes[bytes.length - back] as number;
    if (lead >= 0x80 && lead <= 0xbf) continue;

    const second = bytes[bytes.length - back + 1];
    const fits = second === undefined || fitsAfterLead(lead, second);
    return characterSize(lead) > back && fits ? back : 0;
  }
  return 0;
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

/** `bytes` as the text shows them (see {@link withoutStrayBytes}). */
function asShown(bytes: Uint8Array): Uint8Array {
  if (bytes.every((byte) => byte < 0x80)) return bytes;
  return encoder.encode(withoutStrayBytes(decoder.decode(bytes)));
}

/**
 * The bad-words list of one request. Ask it, before each sampling step, which tokens the next
 * one must not be. The work of a step grows with the longest phrase, not with the number of
 * phrases: each phrase start the text can end with is one map look-up.
 * @example
 * const guard = new BadWordsGuard(vocabulary, ['全国第一']);
 * const banned = guard.bannedNext(generatedTokens);
 */
export class BadWordsGuard {
  readonly #vocabulary: VocabularyIndex;
  readonly #phrases: Uint8Array[];
  readonly #alwaysBanned: readonly number[];
  readonly #tailBytes: number;
  /** For each proper prefix of a phrase (as a key), the rests that would complete a phrase. */
  readonly #restsAfter = new Map<string, Uint8Array[]>();
  /** Tokens whose bytes start with a rest, by the rest's key: found once, then reused. */
  readonly #startingWith = new Map<string, number[]>();

  /**
   * @param vocabulary the model's token bytes
   * @param phrases phrases that must never appear in the output (empty ones are ignored)
   */
  constructor(vocabulary: VocabularyIndex, phrases: readonly string[]) {
    this.#vocabulary = vocabulary;
    this.#phrases = [...new Set(phrases)].filter((p) => p.length > 0).map((p) => encoder.encode(p));
    this.#alwaysBanned = [...new Set(this.#phrases.flatMap((p) => vocabulary.tokensContaining(p)))];
    this.#tailBytes = Math.max(0, ...this.#phrases.map((phrase) => phrase.length - 1));

    for (const phrase of this.#phrases) {
      for (let k = 1; k < phrase.length; k++) {
        const key = keyOf(phrase.subarray(0, k));
        const rests = this.#restsAfter.get(key);
        if (rests) rests.push(phrase.subarray(k));
        else this.#restsAfter.set(key, [phrase.subarray(k)]);
      }
    }
  }

  /** True when the list bans nothing. */
  get empty(): boolean {
    return this.#phrases.length === 0;
  }

  /**
   * Tokens that must not come next after `generated`. The text drops bytes that can never form a
   * character (TextStream), so phrases are matched against the text as shown. Bytes that begin
   * an unfinished character are the one doubt: the next token either finishes it or makes the
   * text drop it, so tokens are banned that would end a phrase either way.
   */
  bannedNext(generated: readonly number[]): readonly number[] {
    if (this.#phrases.length === 0) return [];

    const { shown, unfinished } = this.#shownTail(generated);
    let banned = this.#banCompletions(shown, undefined);
    if (unfinished.length > 0) {
      const kept = Buffer.concat([shown, unfinished]);
      banned = this.#banCompletions(kept.subarray(Math.max(0, kept.length - this.#tailBytes)),
        banned);
    }

    // Most steps end no phrase start: the same list again, so the sampler keeps its settings.
    return banned ? [...banned] : this.#alwaysBanned;
  }

  /**
   * Adds to `banned` every token whose bytes start with the rest of a phrase that `tail` ends
   * with the start of; `undefined` while nothing beyond the always-banned tokens is banned.
   */
  #banCompletions(tail: Uint8Array, banned: Set<number> | undefined): Set<number> | undefined {
    let key = '';
    for (let k = 1; k <= tail.length; k++) {
      key = String.fromCharCode(tail[tail.length - k] as number) + key;
      for (const rest of this.#restsAfter.get(key) ?? []) {
        banned ??= new Set(this.#alwaysBanned);
        for (const token of this.#tokensStartingWith(rest)) banned.add(token);
      }
    }
    return banned;
  }

  #tokensStartingWith(rest: Uint8Array): number[] {
    const key = keyOf(rest);
    let tokens = this.#startingWith.get(key);
    if (!tokens) this.#startingWith.set(key, (tokens = this.#vocabulary.tokensStartingWith(rest)));
    return tokens;
  }

  /**
   * The end of the generated text as shown, as many bytes as the longest phrase could need, and
   * apart from it the bytes of a character the next token may still finish.
   */
  #shownTail(generated: readonly number[]): { shown: Uint8Array; unfinished: Uint8Array } {
    // Dropped bytes make the raw tail longer than the shown one: widen until it is long enough.
    for (let rawBytes = this.#tailBytes + 3; ; rawBytes *= 2) {
      const { bytes, whole } = this.#rawTail(generated, rawBytes);
      const unfinished = unfinishedLength(bytes);
      const shown = asShown(bytes.subarray(0, bytes.length - unfinished));

      if (shown.length >= this.#tailBytes || whole) {
        return {
          shown: shown.subarray(Math.max(0, shown.length - this.#tailBytes)),
          unfinished: bytes.subarray(bytes.length - unfinished),
        };
      }
    }
  }

  /** At least the last `most` bytes of the generated tokens (all, when `whole`). */
  #rawTail(generated: readonly number[], most: number): { bytes: Uint8Array; whole: boolean } {
    const pieces: Uint8Array[] = [];
    let length = 0;
    let i = generated.length - 1;

    for (; i >= 0 && length < most; i--) {
      const bytes = this.#vocabulary.bytesOf(generated[i] as number);
      pieces.push(bytes);
      length += bytes.length;
    }

    return { bytes: Buffer.concat(pieces.reverse()), whole: i < 0 };
  }
}
