/**
 * @module compliance/context
 * Decides whether a term found in folded text is a real use of the term: Latin terms must stand
 * as whole words in the original text, digits in a term must be digits in the text, and a rule's
 * context (what follows or precedes the term) can clear it, as 第一 in 第一次 or "cured" in
 * "cured ham". Word edges are judged on the original text, so "be st" still reads as one word
 * while "be stable" does not hold "best".
 */
import {
  foldedAt,
  foldedBefore,
  isWordUnit,
  type FoldTable,
  type FoldedText,
} from './normalize.js';

/** Folded text together with the original it came from. */
export interface Scan {
  text: string;
  folded: FoldedText;
  table: FoldTable;
  digitLike: Uint8Array;
}

/** True when no Latin letter or digit touches the original text just before `index`. */
export function wordEdgeBefore(scan: Scan, index: number): boolean {
  if (index <= 0) return true;
  return !isWordUnit(foldedBefore(scan.text, index, scan.table));
}

/** True when no Latin letter or digit touches the original text at `index` (an end offset). */
export function wordEdgeAfter(scan: Scan, index: number): boolean {
  if (index >= scan.text.length) return true;
  return !isWordUnit(foldedAt(scan.text, index, scan.table));
}

/** Original offset where folded unit k starts. */
export function originStart(scan: Scan, k: number): number {
  return scan.folded.origin[k] as number;
}

/** Original offset just past folded unit k (two units for a folded surrogate pair). */
export function originEnd(scan: Scan, k: number): number {
  const at = scan.folded.origin[k] as number;
  const unit = scan.text.charCodeAt(at);
  return unit >= 0xd800 && unit <= 0xdbff ? at + 2 : at + 1;
}

/** True when folded units [at, at + word.length) spell `word`. */
function spellsAt(scan: Scan, at: number, word: string): boolean {
  const { units, length } = scan.folded;
  if (at < 0 || at + word.length > length) return false;
  for (let i = 0; i < word.length; i++) {
    if (units[at + i] !== word.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * True when `word` (folded) stands at folded position `at`, as a whole word where it is Latin.
 * @example wordAt(scan, 5, 'ham')
 */
export function wordAt(scan: Scan, at: number, word: string): boolean {
  if (!spellsAt(scan, at, word)) return false;

  const last = at + word.length - 1;
  if (isWordUnit(word.charCodeAt(0)) && !wordEdgeBefore(scan, originStart(scan, at))) return false;
  if (isWordUnit(word.charCodeAt(word.length - 1)) && !wordEdgeAfter(scan, originEnd(scan, last))) {
    return false;
  }
  return true;
}

/** Folded context words, indexed by their first and last unit so a check reads a short list. */
export class WordSet {
  private readonly byFirst = new Map<number, string[]>();
  private readonly byLast = new Map<number, string[]>();

  /** @param words - folded, non-empty */
  constructor(readonly words: readonly string[]) {
    for (const word of words) {
      push(this.byFirst, word.charCodeAt(0), word);
      push(this.byLast, word.charCodeAt(word.length - 1), word);
    }
  }

  get size(): number {
    return this.words.length;
  }

  /** Words that start with this folded unit. */
  startingWith(unit: number): readonly string[] {
    return this.byFirst.get(unit) ?? NONE;
  }

  /** Words that end with this folded unit. */
  endingWith(unit: number): readonly string[] {
    return this.byLast.get(unit) ?? NONE;
  }
}

const NONE: readonly string[] = [];

function push(index: Map<number, string[]>, unit: number, word: string): void {
  const list = index.get(unit);
  if (list) list.push(word);
  else index.set(unit, [word]);
}

/** True when one of the words directly follows folded position `end`. */
export function followedByAny(scan: Scan, end: number, words: WordSet): boolean {
  if (end >= scan.folded.length) return false;
  return words.startingWith(scan.folded.units[end] as number).some((w) => wordAt(scan, end, w));
}

/** True when one of the words directly precedes folded position `start`. */
export function precededByAny(scan: Scan, start: number, words: WordSet): boolean {
  if (start <= 0) return false;
  const before = words.endingWith(scan.folded.units[start - 1] as number);
  return before.some((w) => wordAt(scan, start - w.length, w));
}

/** True when one of the words starts within `within` folded units after `end`. */
export function followedWithin(scan: Scan, end: number, within: number, words: WordSet): boolean {
  const last = Math.min(scan.folded.length, end + within);
  for (let at = end; at < last; at++) {
    if (followedByAny(scan, at, words)) return true;
  }
  return false;
}

/** True when one of the words ends within `within` folded units before `start`. */
export function precededWithin(scan: Scan, start: number, within: number, words: WordSet): boolean {
  const first = Math.max(0, start - within);
  for (let at = start; at >= first; at--) {
    if (precededByAny(scan, at, words)) return true;
  }
  return false;
}

/** True when every folded position listed holds a digit in the original text. */
export function digitsHold(scan: Scan, start: number, digitPositions: readonly number[]): boolean {
  for (const p of digitPositions) {
    const unit = scan.text.charCodeAt(originStart(scan, start + p));
    if (scan.digitLike[unit] !== 1) return false;
  }
  return true;
}
