/**
 * What a channel means for one brief: the format instruction in the prompt, the token budget,
 * and whether a generated variant fits (a variant that does not fit is regenerated, never cut).
 * @module
 */
import {
  CHANNELS,
  displayWidth,
  fits,
  type ChannelPreset,
  type FieldName,
  type FieldSpec,
  type VariantFields,
} from '../channels/index.js';
import type { Brief } from './brief.js';
import type { ExtractedCopy } from './variants.js';
import { charLength } from './text.js';

/** Characters per named length, per language (Chinese says more per character). */
const NAMED_LENGTH_CHARS = {
  short: { zh: 20, en: 60 },
  medium: { zh: 50, en: 140 },
  long: { zh: 120, en: 320 },
} as const;

/** Rough characters per token of instruct models, before a generation tells us better. */
const CHARS_PER_TOKEN = { zh: 1.2, en: 3.5 } as const;
const TOKEN_BUDGET = { min: 8, max: 256, structuredMax: 512 } as const;
/** Longest chain-of-thought reasoning a structured answer may carry before its copy. */
const REASONING_CHARS = 200;

const FIELD_WORDS = {
  zh: { headline: '标题', body: '正文', cta: '行动号召' },
  en: { headline: 'headline', body: 'body', cta: 'call to action' },
} as const;

/** A field of the brief's channel and the characters it may hold. */
export interface FieldBudget {
  field: FieldName;
  chars: number;
}

/**
 * The fields of the brief's channel and how many characters each may hold: the platform's
 * limit in characters (a CJK character fills two width units), and for the main field the
 * brief's own length, or a medium length where the platform only caps it loosely.
 */
export function fieldBudgets(brief: Brief): FieldBudget[] {
  const preset = CHANNELS[brief.channel];
  const main = mainField(preset);
  const target = lengthTarget(brief);

  return (Object.entries(preset.fields) as Array<[FieldName, FieldSpec]>).map(([field, spec]) => {
    const limit = charsFor(spec.limit, spec.unit, brief.language);
    if (field !== main) return { field, chars: limit };
    const wanted = target ?? (spec.hard ? limit : NAMED_LENGTH_CHARS.medium[brief.language]);
    return { field, chars: Math.min(limit, wanted) };
  });
}

/**
 * The JSON schema the engine constrains a candidate to when the channel has several fields
 * (headline, body, call to action), with each field's length enforced while decoding. The
 * `cot` strategy gets a leading `reasoning` field, which is never returned. Undefined for a
 * single-field channel, which is written as plain text.
 */
export function outputSchema(brief: Brief): Record<string, unknown> | undefined {
  const budgets = fieldBudgets(brief);
  if (budgets.length < 2) return undefined;

  const properties: Record<string, unknown> = {};
  if (brief.strategy === 'cot')
    properties.reasoning = { type: 'string', maxLength: REASONING_CHARS };
  for (const { field, chars } of budgets) {
    properties[field] = { type: 'string', minLength: 1, maxLength: chars };
  }
  return {
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  };
}

/**
 * The format instruction for the prompt: the JSON fields to fill, or the plain text to write,
 * and how long each may be.
 *
 * @example
 * describeChannel(brief) // 'Channel: Google Ads responsive search ad. ... "headline" (at most 15 ...'
 */
export function describeChannel(brief: Brief): string {
  const preset = CHANNELS[brief.channel];
  const zh = brief.language === 'zh';
  const words = FIELD_WORDS[brief.language];
  const budgets = fieldBudgets(brief);
  const intro = zh
    ? `投放渠道：${preset.displayName}。${preset.styleHint}`
    : `Channel: ${preset.displayName}. ${preset.styleHint}`;

  if (!outputSchema(brief)) {
    const chars = budgets[0]?.chars ?? 0;
    return zh ? `${intro}\n全文不超过${chars}字。` : `${intro}\nAt most ${chars} characters.`;
  }

  const fields = budgets.map(({ field, chars }) =>
    zh
      ? `"${field}"（${words[field]}，不超过${chars}字）`
      : `"${field}" (${words[field]}, at most ${chars} characters)`,
  );
  const reasoning =
    brief.strategy === 'cot' ? (zh ? '先写"reasoning"，再写' : '"reasoning" first, then ') : '';
  return zh
    ? `${intro}\n只输出一个JSON对象，字段：${reasoning}${fields.join('、')}。`
    : `${intro}\nAnswer with one JSON object with the fields ${reasoning}${fields.join(', ')}.`;
}

/**
 * The `max_new_tokens` for one candidate: what its fields may hold over characters per token.
 * A structured answer gets room for every field at its longest plus the JSON around them, so
 * the grammar can always close it.
 * @param charsPerToken measured on an earlier candidate, when there was one
 */
export function tokenBudget(
  brief: Brief,
  charsPerToken: number = CHARS_PER_TOKEN[brief.language],
): number {
  const budgets = fieldBudgets(brief);
  if (outputSchema(brief)) {
    const reasoning = brief.strategy === 'cot' ? REASONING_CHARS : 0;
    const chars = budgets.reduce((sum, budget) => sum + budget.chars, reasoning);
    // Worst case a token per character (byte-level tokenizers spend more on rare CJK).
    return Math.min(TOKEN_BUDGET.structuredMax, Math.ceil(chars * 1.3) + 24);
  }

  const chars = budgets[0]?.chars ?? NAMED_LENGTH_CHARS.medium[brief.language];
  const tokens = Math.ceil(chars / Math.max(0.25, charsPerToken));
  return Math.min(TOKEN_BUDGET.max, Math.max(TOKEN_BUDGET.min, tokens));
}

/**
 * Why `copy` does not fit the brief's channel or length, or undefined when it fits.
 * @returns `too_long` when a field is over its platform limit or the main field over the
 *   brief's length
 */
export function fitsChannel(brief: Brief, copy: ExtractedCopy): string | undefined {
  const preset = CHANNELS[brief.channel];
  const fields = toChannelFields(preset, copy);
  const target = lengthTarget(brief);
  const main = fields[mainField(preset)] ?? '';
  if (target !== undefined && charLength(main) > target) return 'too_long';
  return fits(brief.channel, fields).fits ? undefined : 'too_long';
}

/** The length of a variant in characters and in display width (CJK counts 2). */
export function measureCopy(_brief: Brief, text: string): { chars: number; width: number } {
  return { chars: charLength(text), width: displayWidth(text) };
}

/**
 * Puts the copy's parts into the channel's fields. Unlabelled text is the channel's main field;
 * parts the channel lacks join it.
 */
function toChannelFields(preset: ChannelPreset, copy: ExtractedCopy): VariantFields {
  const main = mainField(preset);
  const labelled = copy.headline !== undefined || copy.body !== undefined || copy.cta !== undefined;
  if (!labelled) return { [main]: copy.text };

  const fields: VariantFields = {};
  const overflow: string[] = [];
  for (const field of ['headline', 'body', 'cta'] as const) {
    const text = copy[field];
    if (text === undefined) continue;
    if (preset.fields[field]) fields[field] = text;
    else overflow.push(text);
  }
  if (overflow.length > 0) fields[main] = [fields[main], ...overflow].filter(Boolean).join(' ');
  return fields;
}

/** The field that carries the message: the body, or the headline where there is no body. */
function mainField(preset: ChannelPreset): FieldName {
  return preset.fields.body ? 'body' : 'headline';
}

function lengthTarget(brief: Brief): number | undefined {
  if (brief.length === undefined) return undefined;
  return typeof brief.length === 'number'
    ? brief.length
    : NAMED_LENGTH_CHARS[brief.length][brief.language];
}

function charsFor(limit: number, unit: string, language: Brief['language']): number {
  if (unit === 'width') return language === 'zh' ? Math.floor(limit / 2) : limit;
  if (unit === 'sms_segments') return limit * (language === 'zh' ? 70 : 160);
  return limit;
}
