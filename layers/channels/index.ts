/**
 * @module channels
 * Channel presets (fields, limits, how each platform counts) used by prompts, fit checks and the
 * compliance checker's editorial rules.
 */
export {
  CHANNEL_IDS,
  CHANNELS,
  FIELD_NAMES,
  channelIdSchema,
  channelPreset,
  fitField,
  fits,
} from './presets.js';
export type {
  ChannelId,
  ChannelPreset,
  EditorialRules,
  FieldFit,
  FieldName,
  FieldSpec,
  VariantFields,
  VariantFit,
} from './presets.js';
export { countChars, displayWidth, isWide, measure, smsSegments } from './measure.js';
export type { LengthUnit, SmsCount } from './measure.js';
