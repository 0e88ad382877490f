/**
 * @module channels/presets
 * Channel presets: which fields a channel's ad has, how long each may be and how the platform
 * counts it, and which editorial rules the platform enforces on each field.
 */
import { z } from 'zod';

import { measure, type LengthUnit } from './measure.js';

/** Every channel the service writes for. */
export const CHANNEL_IDS = [
  'google_search',
  'meta_feed',
  'douyin_script',
  'wechat_moments',
  'sms',
  'email_subject',
  'generic',
] as const;

/** A channel id. */
export type ChannelId = (typeof CHANNEL_IDS)[number];

/** The zod enum of channel ids, for API and batch schemas. */
export const channelIdSchema = z.enum(CHANNEL_IDS);

/** The fields a copy variant can carry. */
export const FIELD_NAMES = ['headline', 'body', 'cta'] as const;

/** A field of a copy variant. */
export type FieldName = (typeof FIELD_NAMES)[number];

/** Editorial rules a platform applies to one field. */
export interface EditorialRules {
  /** no '!' or '！' at all (Google Ads headlines) */
  noExclamation?: boolean;
  /** no '!!', '??', '。。' and the like */
  noRepeatedPunctuation?: boolean;
  /** no words in all capitals or in alternating case, acronyms aside */
  noGimmickyCaps?: boolean;
  /** no emoji or pictographs */
  noEmoji?: boolean;
}

/** One field of a channel's ad. */
export interface FieldSpec {
  /** the platform's own name for the field */
  label: string;
  /** longest allowed length, in `unit` */
  limit: number;
  unit: LengthUnit;
  /** true: the platform refuses longer text; false: a recommendation (text is cut off on screen) */
  hard: boolean;
  editorial: EditorialRules;
}

/** A channel preset. */
export interface ChannelPreset {
  id: ChannelId;
  displayName: string;
  /** the fields this channel's ad has; a variant field not listed here does not fit */
  fields: Partial<Record<FieldName, FieldSpec>>;
  /** a line for the prompt: what the copy is for and how it is read */
  styleHint: string;
}

const PLAIN: EditorialRules = {};
const GOOGLE_TEXT: EditorialRules = { noRepeatedPunctuation: true, noGimmickyCaps: true };

/** A field the platform refuses past its limit. */
function hardLimit(label: string, limit: number, unit: LengthUnit, editorial = PLAIN): FieldSpec {
  return { label, limit, unit, hard: true, editorial };
}

/** A field whose limit is a recommendation: longer text is cut off on screen, not refused. */
function softLimit(label: string, limit: number, unit: LengthUnit): FieldSpec {
  return { label, limit, unit, hard: false, editorial: PLAIN };
}

/** All presets by id. */
export const CHANNELS: Readonly<Record<ChannelId, ChannelPreset>> = {
  google_search: {
    id: 'google_search',
    displayName: 'Google Ads responsive search ad',
    fields: {
      headline: hardLimit('Headline', 30, 'width', {
        ...GOOGLE_TEXT,
        noExclamation: true,
        noEmoji: true,
      }),
      body: hardLimit('Description', 90, 'width', GOOGLE_TEXT),
    },
    styleHint: 'Search ad: plain, specific, no exclamation marks in headlines.',
  },
  meta_feed: {
    id: 'meta_feed',
    displayName: 'Meta (Facebook/Instagram) feed ad',
    fields: {
      body: softLimit('Primary text', 125, 'chars'),
      headline: softLimit('Headline', 40, 'chars'),
      cta: softLimit('Description', 30, 'chars'),
    },
    styleHint: 'Feed ad: the first 125 characters show before "See more".',
  },
  douyin_script: {
    id: 'douyin_script',
    displayName: 'Douyin short-video script line',
    fields: {
      headline: hardLimit('标题', 55, 'chars'),
      body: softLimit('口播', 40, 'chars'),
    },
    styleHint: 'One short spoken line, said aloud in a few seconds.',
  },
  wechat_moments: {
    id: 'wechat_moments',
    displayName: 'WeChat Moments ad',
    fields: {
      body: hardLimit('外层文案', 40, 'chars'),
      cta: hardLimit('链接文字', 10, 'chars'),
    },
    styleHint: 'A friend-like line in the Moments feed, no hard selling.',
  },
  sms: {
    id: 'sms',
    displayName: 'SMS marketing message',
    fields: {
      body: softLimit('Message', 1, 'sms_segments'),
    },
    styleHint: 'One SMS: 70 characters with Chinese, 160 in plain GSM-7 Latin text.',
  },
  email_subject: {
    id: 'email_subject',
    displayName: 'Email subject line',
    fields: {
      headline: softLimit('Subject', 60, 'chars'),
      body: softLimit('Preheader', 100, 'chars'),
    },
    styleHint: 'A subject line that reads whole on a phone (about 60 characters).',
  },
  generic: {
    id: 'generic',
    displayName: 'Generic ad copy',
    fields: {
      headline: softLimit('Headline', 60, 'chars'),
      body: softLimit('Body', 500, 'chars'),
      cta: softLimit('Call to action', 20, 'chars'),
    },
    styleHint: 'General-purpose copy.',
  },
};

/** A copy variant as far as fitting is concerned. */
export type VariantFields = Partial<Record<FieldName, string>>;

/** How one field of a variant measured against its channel's limit. */
export interface FieldFit {
  field: FieldName;
  length: number;
  limit: number;
  unit: LengthUnit;
  hard: boolean;
  fits: boolean;
  /** set when the field does not fit, in plain words */
  reason?: string;
}

/** Whether a whole variant fits its channel, field by field. */
export interface VariantFit {
  fits: boolean;
  fields: FieldFit[];
}

/** Returns the preset for a channel id. */
export function channelPreset(id: ChannelId): ChannelPreset {
  return CHANNELS[id];
}

/**
 * Measures one field's text against the channel's spec for it.
 * @example fitField('google_search', 'headline', '冷泡乌龙上新').fits // true (width 12)
 */
export function fitField(channel: ChannelId, field: FieldName, text: string): FieldFit {
  const spec = CHANNELS[channel].fields[field];
  if (!spec) {
    const reason = `${CHANNELS[channel].displayName} has no ${field} field`;
    return { field, length: 0, limit: 0, unit: 'chars', hard: true, fits: false, reason };
  }

  const length = measure(text, spec.unit);
  const fits = length <= spec.limit;
  const fit: FieldFit = {
    field,
    length,
    limit: spec.limit,
    unit: spec.unit,
    hard: spec.hard,
    fits,
  };
  if (!fits) fit.reason = `${spec.label} is ${length} ${unitWords(spec.unit)}; limit ${spec.limit}`;
  return fit;
}

/**
 * Checks every field a variant carries against its channel.
 * @example fits('google_search', { headline: 'Cold brew oolong', body: '12 hours, zero sugar.' })
 */
export function fits(channel: ChannelId, variant: VariantFields): VariantFit {
  const fields: FieldFit[] = [];
  for (const field of FIELD_NAMES) {
    const text = variant[field];
    if (text !== undefined) fields.push(fitField(channel, field, text));
  }
  return { fits: fields.every((f) => f.fits), fields };
}

function unitWords(unit: LengthUnit): string {
  if (unit === 'width') return 'columns wide (CJK counts 2)';
  if (unit === 'sms_segments') return 'SMS segments';
  return 'characters';
}
