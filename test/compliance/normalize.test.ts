import { describe, expect, it } from 'vitest';

import { foldTerm, foldText } from '../../layers/compliance/index.js';

function folded(text: string): string {
  const f = foldText(text);
  return String.fromCharCode(...f.units.subarray(0, f.length));
}

describe('Function: foldText', () => {
  it('drops zero-width, invisible and separator characters', () => {
    expect(folded('全\u200B国\u200C第\u200D一\uFEFF')).toBe('全国第一');
    expect(folded('最\u2060\u00AD佳')).toBe('最佳');
    expect(folded('最\u3000佳 好')).toBe('最佳好');
  });

  it('drops punctuation and emoji between characters', () => {
    expect(folded('最🔥好')).toBe('最好');
    expect(folded('第.一·名！')).toBe('第一名');
    expect(folded('b*e-s_t')).toBe('best');
  });

  it('folds case, fullwidth forms, accents and Cyrillic look-alikes', () => {
    expect(folded('ＢＥＳＴ')).toBe('best');
    expect(folded('Bést')).toBe('best');
    expect(folded('b\u0435st')).toBe('best');
  });

  it('folds traditional characters to simplified', () => {
    expect(folded('國家級')).toBe('国家级');
    expect(folded('藥到病除')).toBe('药到病除');
  });

  it('folds letter-for-digit swaps the same way in text and terms', () => {
    expect(folded('b3st')).toBe(foldTerm('best'));
    expect(folded('cur3s')).toBe(foldTerm('cures'));
    expect(folded('TOP1')).toBe(foldTerm('top1'));
    expect(folded('No.１')).toBe(foldTerm('no.1'));
  });

  it('keeps # and % that terms such as #1 and 100% need', () => {
    expect(folded('#1 100%')).toBe(foldTerm('#1') + foldTerm('100%'));
  });

  it('maps every folded unit back to its original index', () => {
    const text = 'a\u200Bb 最🔥好';
    const f = foldText(text);
    const origins = Array.from(f.origin.subarray(0, f.length));
    expect(origins).toEqual([0, 2, 4, 7]);
    expect(origins.map((i) => text[i])).toEqual(['a', 'b', '最', '好']);
  });

  it('reports whether the text holds Han characters', () => {
    expect(foldText('best tea').hasCjk).toBe(false);
    expect(foldText('best 茶').hasCjk).toBe(true);
  });
});
