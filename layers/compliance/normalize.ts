/**
 * @module compliance/normalize
 * Folds text into the form rules are matched in, one UTF-16 unit at a time through a 64K table,
 * and keeps for every folded unit the index of the original unit it came from, so every span
 * found in folded text maps back to the exact original characters.
 *
 * Folding: separators (spaces, zero-width and other invisible characters, punctuation, emoji,
 * combining marks) are dropped; case, fullwidth forms, accents and Cyrillic/Greek look-alikes fold
 * to plain Latin; traditional Chinese folds to simplified (OpenCC's character table); common
 * letter-for-digit swaps fold together (0/o, 1/l/i, 3/e, 4/@/a, 5/$/s, 7/t).
 */
import * as OpenCC from 'opencc-js/t2cn';

/** Folded text plus the map back into the original. */
export interface FoldedText {
  /** folded UTF-16 units */
  units: Uint16Array;
  /** origin[k]: index in the original text of the unit that folded to units[k] */
  origin: Int32Array;
  /** number of folded units */
  length: number;
  /** true when the original holds Han characters */
  hasCjk: boolean;
}

const SKIP = 0;

/** A fold table: 0 drops the unit, anything else is its folded form. */
export type FoldTable = Uint16Array;

let sharedTable: FoldTable | undefined;
let sharedDigitLike: Uint8Array | undefined;

/** The fold table, built once per process (about 30 ms, most of it OpenCC's character table). */
export function foldTable(): FoldTable {
  if (!sharedTable) sharedTable = buildFoldTable();
  return sharedTable;
}

/** 1 for units that are digits before letter-for-digit folding (ASCII, fullwidth, circled). */
export function digitLikeTable(): Uint8Array {
  if (sharedDigitLike) return sharedDigitLike;

  const table = new Uint8Array(65536);
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0xff10; c <= 0xff19; c++) table[c] = 1;
  for (let c = 0x2460; c <= 0x2468; c++) table[c] = 1;
  table[0x2160] = 1;
  table[0x2170] = 1;
  sharedDigitLike = table;
  return table;
}

function buildFoldTable(): FoldTable {
  const table = new Uint16Array(65536);
  for (let c = 0; c < 65536; c++) table[c] = c;

  markSeparators(table);
  foldLatin(table);
  foldTraditional(table);
  foldLeet(table);
  mathFold = buildMathFold(table);
  return table;
}

function setRange(table: FoldTable, from: number, to: number, value: number): void {
  for (let c = from; c <= to; c++) table[c] = value;
}

// Everything that can sit between the characters of a term without changing how it reads.
function markSeparators(table: FoldTable): void {
  setRange(table, 0x00, 0x2f, SKIP);
  setRange(table, 0x3a, 0x40, SKIP);
  setRange(table, 0x5b, 0x60, SKIP);
  setRange(table, 0x7b, 0xbf, SKIP);
  table[0xd7] = SKIP;
  table[0xf7] = SKIP;
  setRange(table, 0x0300, 0x036f, SKIP);
  setRange(table, 0x1ab0, 0x1aff, SKIP);
  setRange(table, 0x1dc0, 0x1dff, SKIP);
  setRange(table, 0x2000, 0x2bff, SKIP);
  setRange(table, 0x2e00, 0x2e7f, SKIP);
  setRange(table, 0x3000, 0x303f, SKIP);
  setRange(table, 0x3200, 0x33ff, SKIP);
  setRange(table, 0xd800, 0xdfff, SKIP);
  setRange(table, 0xfe00, 0xfe6f, SKIP);
  setRange(table, 0xff01, 0xff0f, SKIP);
  setRange(table, 0xff1a, 0xff20, SKIP);
  setRange(table, 0xff3b, 0xff40, SKIP);
  setRange(table, 0xff5b, 0xff65, SKIP);
  setRange(table, 0xfff0, 0xffff, SKIP);
  const invisible = [
    0x034f, 0x061c, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180e, 0x3164, 0xfeff, 0xffa0,
  ];
  for (const c of invisible) {
    table[c] = SKIP;
  }

  // Kept although punctuation: they are part of terms such as '#1', '100%' and '$$$'.
  table[0x23] = 0x23;
  table[0x25] = 0x25;
  table[0x24] = 0x24;
  table[0x40] = 0x40;
  table[0xff03] = 0x23;
  table[0xff05] = 0x25;
  table[0xff04] = 0x24;
  table[0xff20] = 0x40;
  table[0x3007] = 0x3007;

  // Roman numeral one reads as a digit in 'NO.Ⅰ'.
  table[0x2160] = 0x31;
  table[0x2170] = 0x31;

  // Circled digits and letters fold to digits and letters ('No.①', 'Ⓑⓔⓢⓣ').
  for (let d = 1; d <= 9; d++) table[0x2460 + d - 1] = 0x30 + d;
  for (let l = 0; l < 26; l++) {
    table[0x24b6 + l] = 0x61 + l;
    table[0x24d0 + l] = 0x61 + l;
  }
}

const MATH_HIGH_SURROGATE = 0xd835;
let mathFold: Uint16Array | undefined;

// Mathematical bold/italic/script letters (U+1D400-U+1D7FF, all behind the high surrogate D835)
// are a favourite disguise on social media: 𝐛𝐞𝐬𝐭. Indexed by the low surrogate minus DC00.
function buildMathFold(table: FoldTable): Uint16Array {
  const fold = new Uint16Array(0x400);
  for (let i = 0; i < 0x400; i++) {
    const plain = String.fromCodePoint(0x1d400 + i).normalize('NFKC');
    if (plain.length === 1 && /[A-Za-z0-9]/.test(plain))
      fold[i] = table[plain.charCodeAt(0)] as number;
  }
  return fold;
}

const HOMOGLYPHS: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ɡ: 'g',
  α: 'a',
  β: 'b',
  ε: 'e',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ζ: 'z',
  η: 'n',
  μ: 'u',
};

function foldLatin(table: FoldTable): void {
  for (let c = 0x41; c <= 0x5a; c++) table[c] = c + 0x20;
  for (let c = 0xff21; c <= 0xff3a; c++) table[c] = c - 0xff21 + 0x61;
  for (let c = 0xff41; c <= 0xff5a; c++) table[c] = c - 0xff41 + 0x61;
  for (let c = 0xff10; c <= 0xff19; c++) table[c] = c - 0xff10 + 0x30;

  // Accented Latin letters fold to their base letter.
  for (let c = 0xc0; c <= 0x24f; c++) {
    if (c === 0xd7 || c === 0xf7) continue;
    const base = String.fromCharCode(c).normalize('NFD').charCodeAt(0);
    if (base < 0x80) table[c] = String.fromCharCode(base).toLowerCase().charCodeAt(0);
  }

  for (const [from, to] of Object.entries(HOMOGLYPHS)) {
    table[from.charCodeAt(0)] = to.charCodeAt(0);
    table[from.toUpperCase().charCodeAt(0)] = to.charCodeAt(0);
  }

  // CJK compatibility ideographs fold to their unified forms.
  for (let c = 0xf900; c <= 0xfaff; c++) {
    const unified = String.fromCharCode(c).normalize('NFKC');
    if (unified.length === 1) table[c] = unified.charCodeAt(0);
  }
}

// Characters swapped in for their look-alikes to slip past word lists: 笫一 for 第一, 第壹 for 第一.
const HAN_LOOKALIKES: Record<string, string> = { 笫: '第', 壹: '一', 弌: '一', 冣: '最' };

function foldTraditional(table: FoldTable): void {
  const toSimplified = OpenCC.Converter({ from: 't', to: 'cn' });
  const chars: string[] = [];
  for (let c = 0x3400; c <= 0x9fff; c++) chars.push(String.fromCharCode(c));

  // One call with a line per character: OpenCC's phrase rules never cross a line break.
  const converted = toSimplified(chars.join('\n')).split('\n');
  for (let i = 0; i < chars.length; i++) {
    const simple = converted[i];
    if (simple !== undefined && simple.length === 1) table[0x3400 + i] = simple.charCodeAt(0);
  }

  for (const [lookalike, meant] of Object.entries(HAN_LOOKALIKES)) {
    table[lookalike.charCodeAt(0)] = meant.charCodeAt(0);
  }
}

const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  l: 'i',
  '3': 'e',
  '4': 'a',
  '@': 'a',
  '5': 's',
  $: 's',
  '7': 't',
};

// Applied last, on top of every other fold, so 'Ｌ' and '１' both end as 'i'.
function foldLeet(table: FoldTable): void {
  const to = new Map(Object.entries(LEET).map(([k, v]) => [k.charCodeAt(0), v.charCodeAt(0)]));
  for (let c = 0; c < 65536; c++) {
    const folded = to.get(table[c] ?? 0);
    if (folded !== undefined) table[c] = folded;
  }
}

const HAN_START = 0x3400;
const HAN_END = 0x9fff;

/**
 * Folds text into fresh arrays.
 * @example foldText('最\u200B佳').length // 2
 */
export function foldText(text: string, table: FoldTable = foldTable()): FoldedText {
  const source = new CodeUnits();
  const units = new Uint16Array(text.length);
  const origin = new Int32Array(text.length);
  return foldInto(source.load(text), text.length, table, units, origin);
}

/**
 * A reusable copy of a string's UTF-16 code units. Reading a typed array keeps the folding loop
 * monomorphic: charCodeAt over a mix of one-byte and two-byte strings made it about 4x slower.
 * Assumes a little-endian machine (x86-64 and arm64, where Lambda runs).
 */
export class CodeUnits {
  private bytes = Buffer.allocUnsafeSlow(512);
  private view = new Uint16Array(this.bytes.buffer, this.bytes.byteOffset, 256);

  /** Copies the text's code units and returns a view at least text.length long. */
  load(text: string): Uint16Array {
    if (this.view.length < text.length) {
      this.bytes = Buffer.allocUnsafeSlow(text.length * 4);
      this.view = new Uint16Array(this.bytes.buffer, this.bytes.byteOffset, text.length * 2);
    }
    this.bytes.write(text, 0, 'utf16le');
    return this.view;
  }
}

/** Folds `length` code units into caller-owned buffers at least that long (reused on the hot path). */
export function foldInto(
  source: Uint16Array,
  length: number,
  table: FoldTable,
  units: Uint16Array,
  origin: Int32Array,
): FoldedText {
  let count = 0;
  let hasCjk = false;
  for (let i = 0; i < length; i++) {
    const c = source[i] as number;
    let folded = table[c] as number;
    if (folded === SKIP) {
      if (c !== MATH_HIGH_SURROGATE || i + 1 >= length) continue;

      folded = mathFold?.[(source[i + 1] as number) - 0xdc00] ?? SKIP;
      if (folded === SKIP) continue;
      units[count] = folded;
      origin[count] = i;
      count += 1;
      i += 1;
      continue;
    }

    if (c >= HAN_START && c <= HAN_END) hasCjk = true;
    units[count] = folded;
    origin[count] = i;
    count += 1;
  }
  return { units, origin, length: count, hasCjk };
}

/** Folds a rule term the same way text is folded. */
export function foldTerm(term: string, table: FoldTable = foldTable()): string {
  let out = '';
  for (let i = 0; i < term.length; i++) {
    const folded = table[term.charCodeAt(i)] as number;
    if (folded !== SKIP) out += String.fromCharCode(folded);
  }
  return out;
}

/** The folded form of the character starting at `index` (math letters included; 0: dropped). */
export function foldedAt(text: string, index: number, table: FoldTable): number {
  const unit = text.charCodeAt(index);
  if (unit !== MATH_HIGH_SURROGATE) return table[unit] as number;
  return mathFold?.[text.charCodeAt(index + 1) - 0xdc00] ?? SKIP;
}

/** The folded form of the character that ends just before `index`. */
export function foldedBefore(text: string, index: number, table: FoldTable): number {
  const unit = text.charCodeAt(index - 1);
  const isLowSurrogate = unit >= 0xdc00 && unit <= 0xdfff;
  return isLowSurrogate && index >= 2 ? foldedAt(text, index - 2, table) : (table[unit] as number);
}

/** True for a Latin letter or digit (after folding case and width), the parts of a word. */
export function isWordUnit(unit: number): boolean {
  return (unit >= 0x61 && unit <= 0x7a) || (unit >= 0x30 && unit <= 0x39);
}
