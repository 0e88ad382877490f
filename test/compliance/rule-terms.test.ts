import { describe, expect, it } from 'vitest';

import { BUNDLED_RULES_DIR, checkText, loadRuleDirectory } from '../../layers/compliance/index.js';

// Rules that need a following word (requires) only count in context; they are tested elsewhere.
const standalone = loadRuleDirectory(BUNDLED_RULES_DIR)
  .filter((rule) => !rule.requires)
  .flatMap((rule) => rule.terms.map((term) => ({ id: rule.id, term })));

function coveredWhole(text: string): boolean {
  return checkText(text).violations.some((v) => v.start <= 0 && v.end >= text.length);
}

describe('Every bundled rule term', () => {
  it('is flagged over its whole length when it stands alone', () => {
    const missed = standalone.filter(({ term }) => !coveredWhole(term));
    expect(missed).toEqual([]);
  });

  it('is flagged with zero-width spaces between its characters', () => {
    const missed = standalone.filter(({ term }) => !coveredWhole([...term].join('\u200B')));
    expect(missed).toEqual([]);
  });

  it('is flagged with its first letter in capitals', () => {
    const capitalised = standalone.filter(({ term }) => /^[a-z]/.test(term));
    const missed = capitalised.filter(
      ({ term }) => !coveredWhole(term[0]?.toUpperCase() + term.slice(1)),
    );

    expect(capitalised.length).toBeGreaterThan(100);
    expect(missed).toEqual([]);
  });
});
