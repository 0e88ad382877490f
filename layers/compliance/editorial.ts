/**
 * @module compliance/editorial
 * A channel's editorial rules and length limits as violations: Google Ads refuses '!' in
 * headlines, repeated punctuation, gimmicky capitals and emoji; every platform has its lengths.
 */
import {
  CHANNELS,
  FIELD_NAMES,
  isWide,
  measure,
  type ChannelId,
  type EditorialRules,
  type FieldName,
  type FieldSpec,
} from '../channels/index.js';
import type { Violation } from './types.js';

/** Promotional words that read as shouting in capitals even at three or four letters. */
const SHOUTED_WORDS = new Set([
  'FREE',
  'SALE',
  'BEST',
  'SAVE',
  'DEAL',
  'HOT',
  'NOW',
  'NEW',
  'BUY',
  'WOW',
  'OFF',
]);

/**
 * Violations of a channel's editorial rules (and, when the field is known, its length limit).
 * Without a field only the rules every field of the channel shares apply.
 * @example editorialViolations('Buy now!', 'google_search', 'headline') // one '!' violation
 */
export function editorialViolations(
  text: string,
  channel: ChannelId,
  field: FieldName | undefined,
): Violation[] {
  const preset = CHANNELS[channel];
  const spec = field ? preset.fields[field] : undefined;
  const rules = spec ? spec.editorial : sharedRules(preset.fields);
  const where = `${channel}.${field ?? 'any'}`;

  const violations: Violation[] = [];
  if (rules.noExclamation) violations.push(...exclamations(text, where));
  if (rules.noRepeatedPunctuation) violations.push(...repeatedPunctuation(text, where));
  if (rules.noGimmickyCaps) violations.push(...gimmickyCaps(text, where));
  if (rules.noEmoji) violations.push(...emoji(text, where));
  if (spec && field) violations.push(...overLength(text, spec, `${channel}.${field}`));
  return violations;
}

function sharedRules(fields: Partial<Record<FieldName, FieldSpec>>): EditorialRules {
  const specs = FIELD_NAMES.flatMap((name) => fields[name] ?? []);
  const all = (key: keyof EditorialRules) =>
    specs.length > 0 && specs.every((s) => s.editorial[key]);
  return {
    noExclamation: all('noExclamation'),
    noRepeatedPunctuation: all('noRepeatedPunctuation'),
    noGimmickyCaps: all('noGimmickyCaps'),
    noEmoji: all('noEmoji'),
  };
}

function violation(
  where: string,
  rule: string,
  match: { index: number; text: string },
  reason: string,
  suggestion: string,
): Violation {
  return {
    ruleId: `channel.${where}.${rule}`,
    category: 'editorial',
    severity: 'block',
    term: match.text,
    start: match.index,
    end: match.index + match.text.length,
    reason,
    suggestion,
  };
}

function matchesOf(text: string, pattern: RegExp) {
  return [...text.matchAll(pattern)].map((m) => ({ index: m.index, text: m[0] }));
}

function exclamations(text: string, where: string): Violation[] {
  return matchesOf(text, /[!！]+/g).map((m) =>
    violation(
      where,
      'exclamation',
      m,
      'This field may not contain an exclamation mark.',
      'End with a full stop or no mark.',
    ),
  );
}

function repeatedPunctuation(text: string, where: string): Violation[] {
  // An ellipsis ('...', '…') is lawful; doubled marks and mixed '?!' runs are not.
  return matchesOf(text, /[!?！？]{2,}|([,，。、~～*#@$%^&+=_|;；:：])\1+|\.{4,}/g).map((m) =>
    violation(
      where,
      'repeated_punctuation',
      m,
      'Repeated punctuation or symbols are not allowed.',
      'Use a single mark.',
    ),
  );
}

function gimmickyCaps(text: string, where: string): Violation[] {
  return matchesOf(text, /[A-Za-z]+/g)
    .filter((m) => isShouting(m.text) || isAlternatingCase(m.text))
    .map((m) =>
      violation(
        where,
        'gimmicky_caps',
        m,
        'Capitals used for emphasis or in alternating case are not allowed.',
        'Use sentence or title case; acronyms may stay in capitals.',
      ),
    );
}

function isShouting(word: string): boolean {
  if (word !== word.toUpperCase()) return false;
  return word.length >= 5 || SHOUTED_WORDS.has(word);
}

// Brand names in camel case (iPhone, YouTube) change case at under half their letter pairs.
function isAlternatingCase(word: string): boolean {
  if (word.length < 4) return false;

  let changes = 0;
  for (let i = 1; i < word.length; i++) {
    const upperBefore = word[i - 1] !== word[i - 1]?.toLowerCase();
    const upperHere = word[i] !== word[i]?.toLowerCase();
    if (upperBefore !== upperHere) changes += 1;
  }
  return changes / (word.length - 1) >= 0.6;
}

function emoji(text: string, where: string): Violation[] {
  return matchesOf(
    text,
    /\p{Extended_Pictographic}(\uFE0F|\u200D\p{Extended_Pictographic})*/gu,
  ).map((m) =>
    violation(
      where,
      'emoji',
      m,
      'Emoji and pictographs are not allowed in this field.',
      'Say it in words.',
    ),
  );
}

function overLength(text: string, spec: FieldSpec, where: string): Violation[] {
  const length = measure(text, spec.unit);
  if (length <= spec.limit) return [];

  const start = spec.unit === 'sms_segments' ? 0 : overflowStart(text, spec);
  return [
    {
      ruleId: `channel.${where}.length`,
      category: 'channel_length',
      severity: spec.hard ? 'block' : 'warn',
      term: text.slice(start),
      start,
      end: text.length,
      reason: `${spec.label} is ${length} ${spec.unit} long; the limit is ${spec.limit}.`,
      suggestion: 'Shorten the text; the flagged part is what does not fit.',
    },
  ];
}

// The offset of the first character past the limit, counting as the platform counts.
function overflowStart(text: string, spec: FieldSpec): number {
  let used = 0;
  let offset = 0;
  for (const ch of text) {
    used += spec.unit === 'width' && isWide(ch.codePointAt(0) ?? 0) ? 2 : 1;
    if (used > spec.limit) return offset;
    offset += ch.length;
  }
  return text.length;
}
