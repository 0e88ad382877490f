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
const TOKEN_BUDGET = { min: 8, max: 256 } as const;

const FIELD_WORDS = {
  zh: { headline: '标题', body: '正文', cta: '行动号召' },
  en: { headline: 'Headline', body: 'Body', cta: 'CTA' },
} as const;

/**
 * The format instruction for the prompt: which labelled lines to write and how long each may be.
 *
 * @example
 * describeChannel(brief) // 'Channel: Google Ads responsive search ad. ... Headline: at most 30 ...'
 */
export function describeChannel(brief: Brief): string {
  const preset = CHANNELS[brief.channel];
  const zh = brief.language === 'zh';
  const fields = Object.entries(preset.fields) as Array<
    [FieldName, NonNullable<ChannelPreset['fields'][FieldName]>]
  >;
  const limits = fields.map(([field, spec]) => {
    const label = FIELD_WORDS[brief.language][field];
    const chars = charsFor(spec.limit, spec.unit, brief.language);
    return zh ? `${label}：不超过${chars}字` : `${label}: at most ${chars} characters`;
  });
  const target = lengthTarget(brief);
  const lengthLine =
    target === undefined
      ? ''
      : zh
        ? `全文不超过${target}字。`
        : ` Keep the whole copy within ${target} characters.`;

  return zh
    ? `投放渠道：${preset.displayName}。${preset.styleHint}\n请分行写出：${limits.join('；')}。${lengthLine}`
    : `Channel: ${preset.displayName}. ${preset.styleHint}\nWrite these lines: ${limits.join('; ')}.${lengthLine}`;
}

/**
 * The `max_new_tokens` for one candidate: the characters the channel (or the brief's length)
 * allows, over characters per token.
 * @param charsPerToken measured on an earlier candidate, when there was one
 */
export function tokenBudget(
  brief: Brief,
  charsPerToken: number = CHARS_PER_TOKEN[brief.language],
): number {
  const chars = lengthTarget(brief) ?? channelChars(brief);
  const tokens = Math.ceil(chars / Math.max(0.25, charsPerToken));
  return Math.min(TOKEN_BUDGET.max, Math.max(TOKEN_BUDGET.min, tokens));
}

/**
 * Why `copy` does not fit the brief's channel or length, or undefined when it fits.
 * @returns `too_long`, or `missing_field: headline` when a channel needs a part the copy lacks
 */
export function fitsChannel(brief: Brief, copy: ExtractedCopy): string | undefined {
  const fields = toChannelFields(CHANNELS[brief.channel], copy);
  const target = lengthTarget(brief);
  if (target !== undefined && charLength(copy.text) > target) return 'too_long';
  return fits(brief.channel, fields).fits ? undefined : 'too_long';
}

/** The length of a variant in characters and in display width (CJK counts 2). */
export function measureCopy(_brief: Brief, text: string): { chars: number; width: number } {
  return { chars: charLength(text), width: displayWidth(text) };
}

/**
 * Puts the copy's parts into the channel's fields. Unlabelled text is the channel's main field
 * (its body, or its headline when it has no body); parts the channel lacks join the body.
 */
function toChannelFields(preset: ChannelPreset, copy: ExtractedCopy): VariantFields {
  const main: FieldName = preset.fields.body ? 'body' : 'headline';
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

function lengthTarget(brief: Brief): number | undefined {
  if (brief.length === undefined) return undefined;
  return typeof brief.length === 'number'
    ? brief.length
    : NAMED_LENGTH_CHARS[brief.length][brief.language];
}

function channelChars(brief: Brief): number {
  const preset = CHANNELS[brief.channel];
  const main = preset.fields.body ?? preset.fields.headline;
  const total = Object.values(preset.fields).reduce(
    (sum, spec) => sum + charsFor(spec.limit, spec.unit, brief.language),
    0,
  );
  // A long optional body (generic: 500) should not make every answer that long by default.
  return Math.min(total, main ? charsFor(main.limit, main.unit, brief.language) + 40 : total, 160);
}

function charsFor(limit: number, unit: string, language: Brief['language']): number {
  if (unit === 'width') return language === 'zh' ? Math.floor(limit / 2) : limit;
  if (unit === 'sms_segments') return limit * (language === 'zh' ? 70 : 160);
  return limit;
}
