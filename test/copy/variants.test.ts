import { describe, expect, it } from 'vitest';

import { extractCopy, isNearDuplicate, similarity } from '../../layers/copy/index.js';

describe('Function: extractCopy', () => {
  it('keeps only the copy after the final marker of a chain-of-thought answer', () => {
    const raw = '思路：通勤族最怕吵，想要安静。\n最终文案：一戴上，地铁就安静了。';
    expect(extractCopy(raw, 'cot')).toEqual({ text: '一戴上，地铁就安静了。' });
  });

  it('rejects a chain-of-thought answer that never reaches its final copy', () => {
    expect(extractCopy('Reasoning: runners want grip on wet rock', 'cot')).toBe(
      'reasoning_without_final_copy',
    );
  });

  it('drops reasoning lines even when the strategy did not ask for any', () => {
    const raw = 'Reasoning: they want speed.\nFaster on every climb.';
    expect(extractCopy(raw, 'structured')).toEqual({ text: 'Faster on every climb.' });
  });

  it('reads labelled headline, body and call to action', () => {
    const raw = '标题：冷泡乌龙上新\n正文：0糖，冷萃12小时，清爽一整天。\n行动号召：马上尝鲜';
    expect(extractCopy(raw, 'structured')).toEqual({
      headline: '冷泡乌龙上新',
      body: '0糖，冷萃12小时，清爽一整天。',
      cta: '马上尝鲜',
      text: '冷泡乌龙上新\n0糖，冷萃12小时，清爽一整天。\n马上尝鲜',
    });
  });

  it('strips list numbering and wrapping quotes', () => {
    expect(extractCopy('1. “一口清爽，0糖无负担”', 'zero_shot')).toEqual({
      text: '一口清爽，0糖无负担',
    });
  });

  it('removes control characters and broken byte sequences', () => {
    expect(extractCopy('一口\u0002清爽\uFFFD，\u001d0糖', 'zero_shot')).toEqual({
      text: '一口清爽，0糖',
    });
  });

  it('calls an answer of only whitespace empty', () => {
    expect(extractCopy(' \n\n ', 'zero_shot')).toBe('empty');
  });
});

describe('Function: similarity', () => {
  it('is 1 for equal texts and 0 for texts with no shared bigram', () => {
    expect(similarity('冷泡乌龙', '冷泡乌龙')).toBe(1);
    expect(similarity('冷泡乌龙', '跑鞋轻盈')).toBe(0);
  });

  it('calls a one-character edit of a long line a near-duplicate, and a new idea not', () => {
    const line = '0糖冷萃12小时，一口清爽过一夏';
    expect(isNearDuplicate('0糖冷萃12小时，一口清爽过整夏', [line])).toBe(true);
    expect(isNearDuplicate('办公室午后，来一瓶冷泡乌龙提提神', [line])).toBe(false);
  });
});
