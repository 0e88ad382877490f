/**
 * Text helpers shared by brief validation and variant post-processing.
 *
 * Lengths are counted in Unicode code points, the way a marketer counts characters, never in
 * UTF-16 units (an emoji is one character, not two).
 * @module
 */

// Format characters (zero-width space, joiners, BOM, bidi marks) are invisible yet survive
// String.prototype.trim(); a brand made only of them is blank.
const INVISIBLE = /[\p{Cf}\p{Zs}\s\u3000\u115F\u1160\u3164\uFFA0]/gu;
const EDGE_INVISIBLE = /^[\p{Cf}\p{Zs}\s\u3164]+|[\p{Cf}\p{Zs}\s\u3164]+$/gu;
const INNER_SPACE_RUN = /[\p{Zs}\t\r\n]+/gu;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Number of code points in `text`. */
export function charLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** True when `text` holds nothing visible: only whitespace and format characters. */
export function isBlank(text: string): boolean {
  return text.replace(INVISIBLE, '') === '';
}

/**
 * The canonical form of a free-text field: NFC, invisible edges removed, runs of spaces
 * collapsed to one. Two briefs that differ only in such whitespace share a cache entry.
 */
export function normaliseField(text: string): string {
  return text.normalize('NFC').replace(EDGE_INVISIBLE, '').replace(INNER_SPACE_RUN, ' ');
}

/** True when `text` contains Chinese, Japanese or Korean characters. */
export function hasCjk(text: string): boolean {
  return CJK.test(text);
}
