/**
 * From raw generations to clean copy variants: strip what models add around the copy (numbering,
 * quotes, reasoning), read labelled fields, and tell near-duplicates apart.
 * @module
 */
import type { Brief } from './brief.js';

/** A variant's text and, where the model labelled them, its parts. */
export interface ExtractedCopy {
  text: string;
  headline?: string;
  body?: string;
  cta?: string;
}

/** Why a generation gave no usable copy. */
export type ExtractionFailure = 'empty' | 'reasoning_without_final_copy' | 'invalid_json';

const FIELD_LABELS: Array<[keyof Omit<ExtractedCopy, 'text'>, RegExp]> = [
  ['headline', /^(?:标题|headline|title)\s*[:：]\s*/i],
  ['body', /^(?:正文|body|description|primary text)\s*[:：]\s*/i],
  ['cta', /^(?:行动号召|cta|call to action)\s*[:：]\s*/i],
];

// Lines of reasoning that must never reach a marketer, whatever the strategy asked for.
const REASONING_LINE = /^(?:思路|分析|reasoning|analysis|thoughts?)\s*[:：]/i;
const FINAL_MARKERS = /(?:最终文案|final copy)\s*[:：]/i;
const LIST_MARK = /^\s*(?:\d{1,2}\s*[.、)）:]|[-*•·])\s*/u;
const WRAPPING_QUOTES = /^["“”「『'‘]+|["“”」』'’]+$/gu;
// Control characters, U+FFFD (a broken byte sequence), unassigned and private-use code points
// are never part of publishable copy; tabs become spaces.
const UNPRINTABLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\uFFFD\p{Cn}\p{Co}]/gu;

/** `text` without characters that never belong in copy, tabs turned into spaces. */
export function stripUnprintable(text: string): string {
  return text.replace(/\t/g, ' ').replace(UNPRINTABLE, '');
}

/**
 * The copy in one raw generation, or why there is none. A structured generation is a JSON object
 * with `headline`, `body` and `cta` (and `reasoning`, which is dropped); a plain one is text.
 *
 * @example
 * extractCopy('思路：怕吵\n最终文案：一戴就安静', 'cot') // { text: '一戴就安静' }
 * extractCopy('{"headline":"冷泡上新","body":"0糖"}', 'structured', true)
 * // { headline: '冷泡上新', body: '0糖', text: '冷泡上新\n0糖' }
 */
export function extractCopy(
  raw: string,
  strategy: Brief['strategy'],
  structured = false,
): ExtractedCopy | ExtractionFailure {
  if (structured) return readJsonCopy(raw);

  const afterMarker = textAfterFinalMarker(raw);
  if (strategy === 'cot' && afterMarker === undefined) return 'reasoning_without_final_copy';

  const lines = stripUnprintable(afterMarker ?? raw)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !REASONING_LINE.test(line));

  const copy = readFields(lines);
  return copy.text === '' ? 'empty' : copy;
}

function readJsonCopy(raw: string): ExtractedCopy | ExtractionFailure {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.trim());
  } catch {
    return 'invalid_json';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'invalid_json';

  const copy: ExtractedCopy = { text: '' };
  for (const field of ['headline', 'body', 'cta'] as const) {
    const value = (parsed as Record<string, unknown>)[field];
    if (typeof value === 'string') {
      const clean = cleanLine(stripUnprintable(value).replace(/\s+/g, ' '));
      if (clean) copy[field] = clean;
    }
  }
  copy.text = [copy.headline, copy.body, copy.cta].filter(Boolean).join('\n');
  return copy.text === '' ? 'empty' : copy;
}

function textAfterFinalMarker(raw: string): string | undefined {
  const match = FINAL_MARKERS.exec(raw);
  return match ? raw.slice(match.index + match[0].length) : undefined;
}

function readFields(lines: string[]): ExtractedCopy {
  const copy: ExtractedCopy = { text: '' };
  const unlabelled: string[] = [];

  for (const line of lines) {
    const label = FIELD_LABELS.find(([, pattern]) => pattern.test(line));
    if (label) copy[label[0]] = cleanLine(line.replace(label[1], ''));
    else unlabelled.push(cleanLine(line));
  }

  const parts = [copy.headline, copy.body, ...unlabelled, copy.cta].filter(Boolean);
  copy.text = parts.join('\n').trim();
  return copy;
}

function cleanLine(line: string): string {
  return line.replace(LIST_MARK, '').replace(WRAPPING_QUOTES, '').trim();
}

/**
 * Similarity of two texts in [0, 1]: the Dice coefficient of their character bigrams, which works
 * the same for Chinese (no spaces) and English.
 */
export function similarity(a: string, b: string): number {
  const left = bigrams(a);
  const right = bigrams(b);
  if (left.size === 0 && right.size === 0) return a === b ? 1 : 0;

  let shared = 0;
  for (const [gram, count] of left) shared += Math.min(count, right.get(gram) ?? 0);
  const total = sum(left) + sum(right);
  return total === 0 ? 0 : (2 * shared) / total;
}

/** Two variants this similar are one idea said twice. */
export const NEAR_DUPLICATE_SIMILARITY = 0.8;

/** True when `text` is a near-duplicate of any of `others`. */
export function isNearDuplicate(text: string, others: readonly string[]): boolean {
  return others.some((other) => similarity(text, other) >= NEAR_DUPLICATE_SIMILARITY);
}

function bigrams(text: string): Map<string, number> {
  const chars = [...text.toLowerCase().replace(/\s+/g, ' ')];
  const grams = new Map<string, number>();
  for (let i = 0; i + 1 < chars.length; i += 1) {
    const gram = `${chars[i]}${chars[i + 1]}`;
    grams.set(gram, (grams.get(gram) ?? 0) + 1);
  }
  return grams;
}

function sum(counts: Map<string, number>): number {
  let total = 0;
  for (const count of counts.values()) total += count;
  return total;
}
