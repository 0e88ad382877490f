import { describe, expect, it } from 'vitest';

import {
  CHANNEL_IDS,
  CHANNELS,
  channelIdSchema,
  countChars,
  displayWidth,
  fitField,
  fits,
  smsSegments,
} from '../../layers/channels/index.js';

describe('Function: displayWidth', () => {
  it('counts CJK and fullwidth characters as 2 and Latin as 1', () => {
    expect(displayWidth('好茶 tea')).toBe(8);
    expect(displayWidth('ＡＢ')).toBe(4);
    expect(displayWidth('')).toBe(0);
  });

  it('counts an emoji as one wide character, not two code units', () => {
    expect(displayWidth('🍵')).toBe(2);
    expect(countChars('🍵茶')).toBe(2);
  });
});

describe('Function: smsSegments', () => {
  it('fits 160 GSM-7 characters or 70 UCS-2 units in one message', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsSegments('a'.repeat(161)).segments).toBe(2);
    expect(smsSegments('茶'.repeat(70))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(smsSegments('茶'.repeat(71)).segments).toBe(2);
  });

  it('splits long messages into 153-septet or 67-unit parts', () => {
    expect(smsSegments('a'.repeat(306)).segments).toBe(2);
    expect(smsSegments('a'.repeat(307)).segments).toBe(3);
    expect(smsSegments('茶'.repeat(134)).segments).toBe(2);
    expect(smsSegments('茶'.repeat(135)).segments).toBe(3);
  });

  it('counts GSM extension characters twice and one non-GSM character switches to UCS-2', () => {
    expect(smsSegments('{}').units).toBe(4);
    expect(smsSegments(`${'a'.repeat(100)}é`).encoding).toBe('GSM-7');
    expect(smsSegments(`${'a'.repeat(100)}ê`)).toEqual({
      encoding: 'UCS-2',
      units: 101,
      segments: 2,
    });
  });
});

describe('Function: fitField', () => {
  it('holds a Google headline to 30 columns with CJK counted as 2', () => {
    expect(fitField('google_search', 'headline', '山茶冷泡乌龙零糖冷萃十二小时清').fits).toBe(true);
    const over = fitField('google_search', 'headline', '山茶冷泡乌龙零糖冷萃十二小时清爽');

    expect(over).toMatchObject({ fits: false, length: 32, limit: 30, unit: 'width', hard: true });
    expect(over.reason).toMatch(/32 columns wide/);
  });

  it('holds a Google description to 90 columns', () => {
    expect(fitField('google_search', 'body', 'a'.repeat(90)).fits).toBe(true);
    expect(fitField('google_search', 'body', 'a'.repeat(91)).fits).toBe(false);
  });

  it('measures SMS bodies in segments', () => {
    expect(fitField('sms', 'body', '茶'.repeat(70))).toMatchObject({ fits: true, length: 1 });
    expect(fitField('sms', 'body', '茶'.repeat(71))).toMatchObject({
      fits: false,
      length: 2,
      unit: 'sms_segments',
    });
  });

  it('says a field the channel does not have does not fit', () => {
    expect(fitField('sms', 'headline', 'hi')).toMatchObject({
      fits: false,
      reason: 'SMS marketing message has no headline field',
    });
  });
});

describe('Function: fits', () => {
  it('checks every field a variant carries', () => {
    const result = fits('meta_feed', { headline: 'Cold brew oolong', body: 'x'.repeat(126) });

    expect(result.fits).toBe(false);
    expect(result.fields.map((f) => [f.field, f.fits])).toEqual([
      ['headline', true],
      ['body', false],
    ]);
  });

  it('accepts a variant within every limit', () => {
    expect(fits('email_subject', { headline: 'Your cold brew is back' }).fits).toBe(true);
  });
});

describe('Presets', () => {
  it('has one preset per channel id, each with at least one field', () => {
    expect(Object.keys(CHANNELS).sort()).toEqual([...CHANNEL_IDS].sort());
    for (const id of CHANNEL_IDS) {
      expect(CHANNELS[id].id).toBe(id);
      expect(Object.keys(CHANNELS[id].fields).length).toBeGreaterThan(0);
    }
  });

  it('validates channel ids with the zod enum', () => {
    expect(channelIdSchema.parse('douyin_script')).toBe('douyin_script');
    expect(channelIdSchema.safeParse('tiktok').success).toBe(false);
  });

  it('applies the Google headline editorial rules', () => {
    expect(CHANNELS.google_search.fields.headline?.editorial).toEqual({
      noRepeatedPunctuation: true,
      noGimmickyCaps: true,
      noExclamation: true,
      noEmoji: true,
    });
  });
});
