/**
 * A byte-level BPE vocabulary in the GPT-2 layout that llama.cpp reads as
 * `tokenizer.ggml.model = "gpt2"`: the 256 byte symbols, merges learned from a text, and the ChatML
 * special tokens. It is deterministic: the same text and limits give the same vocabulary.
 *
 * @module
 */

/** llama.cpp token types (`llama_token_type`), as stored in `tokenizer.ggml.token_type`. */
export const TokenType = {
  NORMAL: 1,
  CONTROL: 3,
} as const;

/** The special tokens, in id order after the learned ones. */
export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;

/** A vocabulary ready to be written as GGUF tokenizer metadata. */
export interface DevVocabulary {
  /** Token texts in the GPT-2 byte-symbol spelling, by id. */
  tokens: string[];

  /** `llama_token_type` per token. */
  tokenTypes: number[];

  /** Merge rules `"left right"` in rank order. */
  merges: string[];

  /** Ids of the special tokens. */
  specialIds: { endOfText: number; imStart: number; imEnd: number };
}

/** Limits of merge learning. */
export interface MergeLearningOptions {
  /** Stop after this many merges. */
  maxMerges: number;

  /** Stop when the most frequent pair occurs fewer times than this. */
  minPairCount: number;
}

// llama.cpp's "qwen2" pre-tokenizer; learning over the same pieces keeps every merge reachable.
const QWEN2_PIECE_PATTERN = new RegExp(
  [
    "'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]",
    '[^\\r\\n\\p{L}\\p{N}]?\\p{L}+',
    '\\p{N}',
    ' ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*',
    '\\s*[\\r\\n]+',
    '\\s+(?!\\S)',
    '\\s+',
  ].join('|'),
  'gu',
);

/**
 * GPT-2's printable stand-in for each byte: printable Latin-1 bytes stand for themselves, others
 * are shifted to U+0100 and up, so every token text is printable and has no spaces.
 */
export function byteSymbols(): string[] {
  const symbols: string[] = new Array<string>(256);
  let shifted = 0;

  for (let byte = 0; byte < 256; byte++) {
    const printable =
      (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || byte >= 0xae;
    symbols[byte] = String.fromCodePoint(printable ? byte : 256 + shifted++);
  }

  return symbols;
}

const byteOf = new Map(byteSymbols().map((symbol, byte) => [symbol, byte]));

/** Splits text into the pieces that merges never cross, as llama.cpp's qwen2 pre-tokenizer does. */
export function splitPieces(text: string): string[] {
  return text.match(QWEN2_PIECE_PATTERN) ?? [];
}

/** Counts each distinct piece of the text, spelled as byte symbols. */
function countWords(text: string, symbols: string[]): Map<string, number> {
  const encoder = new TextEncoder();
  const counts = new Map<string, number>();

  for (const piece of splitPieces(text)) {
    const word = Array.from(encoder.encode(piece), (byte) => symbols[byte]).join('');
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }

  return counts;
}

/** A distinct pre-tokenizer piece: its current symbols and how often it occurs in the text. */
interface Word {
  parts: string[];
  count: number;
}

/**
 * Counts of adjacent symbol pairs over all words, and which words hold each pair, so a merge only
 * revisits the words it changes (learning stays well under a second as the corpus grows).
 */
class PairIndex {
  private readonly counts = new Map<string, number>();
  private readonly holders = new Map<string, Set<number>>();

  constructor(private readonly words: Word[]) {
    words.forEach((_, index) => this.count(index, 1));
  }

  /** The most frequent pair; ties go to the smaller pair string, so learning is stable. */
  mostFrequent(): { key: string; count: number } | undefined {
    let best: { key: string; count: number } | undefined;

    for (const [key, count] of this.counts) {
      if (best === undefined || count > best.count || (count === best.count && key < best.key)) {
        best = { key, count };
      }
    }

    return best;
  }

  /** Merges the pair in every word that holds it, keeping the counts current. */
  merge(key: string, left: string, right: string): void {
    const holders = [...(this.holders.get(key) ?? [])];
    this.holders.delete(key);

    for (const index of holders) {
      const word = this.words[index] as Word;
      this.count(index, -1);
      word.parts = applyMerge(word.parts, left, right);
      this.count(index, 1);
    }
  }

  /** Adds (+1) or takes away (-1) the pairs of one word. */
  private count(index: number, sign: 1 | -1): void {
    const { parts, count } = this.words[index] as Word;

    for (let i = 0; i + 1 < parts.length; i++) {
      const key = `${parts[i]} ${parts[i + 1]}`;
      const total = (this.counts.get(key) ?? 0) + sign * count;

      if (total === 0) this.counts.delete(key);
      else this.counts.set(key, total);

      if (sign === 1) {
        const holders = this.holders.get(key) ?? new Set<number>();
        holders.add(index);
        this.holders.set(key, holders);
      }
    }
  }
}

/** Replaces each occurrence of the pair in the word by the merged symbol, left to right. */
function applyMerge(parts: string[], left: string, right: string): string[] {
  const merged: string[] = [];

  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === left && parts[i + 1] === right) {
      merged.push(left + right);
      i++;
    } else {
      merged.push(parts[i] as string);
    }
  }

  return merged;
}

/**
 * Learns BPE merges from a text: repeatedly merges the most frequent adjacent pair of symbols
 * inside pre-tokenizer pieces, as GPT-2's tokenizer was trained.
 */
export function learnMerges(text: string, options: MergeLearningOptions): string[] {
  const symbols = byteSymbols();
  const words = Array.from(countWords(text, symbols), ([word, count]) => ({
    parts: Array.from(word),
    count,
  }));
  const pairs = new PairIndex(words);
  const merges: string[] = [];

  while (merges.length < options.maxMerges) {
    const best = pairs.mostFrequent();
    if (best === undefined || best.count < options.minPairCount) break;

    const [left = '', right = ''] = best.key.split(' ');
    merges.push(best.key);
    pairs.merge(best.key, left, right);
  }

  return merges;
}

/**
 * Builds the vocabulary: byte tokens (id = byte value), one token per merge in rank order, then the
 * special tokens as CONTROL tokens, which llama.cpp matches only when special-token parsing is on.
 */
export function buildVocabulary(text: string, options: MergeLearningOptions): DevVocabulary {
  const merges = learnMerges(text, options);

  // Two merges can spell one text ("a bc", "ab c"); llama.cpp finds tokens by text: keep one.
  const tokens = [...new Set([...byteSymbols(), ...merges.map((merge) => merge.replace(' ', ''))])];
  const tokenTypes: number[] = tokens.map(() => TokenType.NORMAL);
  const firstSpecial = tokens.length;

  for (const special of SPECIAL_TOKENS) {
    tokens.push(special);
    tokenTypes.push(TokenType.CONTROL);
  }

  return {
    tokens,
    tokenTypes,
    merges,
    specialIds: { endOfText: firstSpecial, imStart: firstSpecial + 1, imEnd: firstSpecial + 2 },
  };
}

/**
 * The bytes a normal token stands for (its byte symbols mapped back), used to tell which tokens
 * decode to complete, printable text.
 */
export function tokenBytes(token: string): Uint8Array {
  return Uint8Array.from(Array.from(token), (symbol) => byteOf.get(symbol) ?? 0);
}
