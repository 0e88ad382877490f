import { describe, expect, it } from 'vitest';

import { checkText } from '../../layers/compliance/index.js';
import { score } from '../bench/compliance-score.js';
import { labelledSet } from '../bench/compliance-set.js';

describe('The labelled set', () => {
  const set = labelledSet();

  it('holds at least 200 texts in both languages, with every evasion kind and clean look-alikes', () => {
    const kinds = new Set(set.map((entry) => entry.kind));

    expect(set.length).toBeGreaterThanOrEqual(200);
    for (const kind of ['plain_zh', 'plain_en', 'clean_zh', 'clean_en', 'evasion_traditional']) {
      expect(kinds).toContain(kind);
    }
    for (const kind of [
      'zero_width',
      'spaces',
      'punctuation',
      'emoji',
      'fullwidth',
      'case',
      'leet',
      'math_letters',
      'lookalike_characters',
    ]) {
      expect(kinds).toContain(`evasion_${kind}`);
    }
  });

  it('marks spans that exist in the text', () => {
    const marked = set.flatMap((entry) =>
      entry.expected.map((e) => entry.text.slice(e.start, e.end)),
    );
    expect(marked.every((span) => span.length > 0)).toBe(true);
  });

  it('is checked with precision and recall of at least 0.97', () => {
    const result = score(
      set,
      set.map((entry) => checkText(entry.text)),
    );

    expect(result.mistakes).toEqual([]);
    expect(result.precision).toBeGreaterThanOrEqual(0.97);
    expect(result.recall).toBeGreaterThanOrEqual(0.97);
  });
});
