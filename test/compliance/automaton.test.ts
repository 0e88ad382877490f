import { describe, expect, it } from 'vitest';

import { Automaton } from '../../layers/compliance/index.js';

function units(text: string): Uint16Array {
  return Uint16Array.from(text, (c) => c.charCodeAt(0));
}

function naive(patterns: string[], text: string): string[] {
  const found: string[] = [];
  patterns.forEach((p, i) => {
    for (let at = text.indexOf(p); at !== -1; at = text.indexOf(p, at + 1))
      found.push(`${i}@${at}`);
  });
  return found.sort();
}

function scanned(automaton: Automaton, text: string): string[] {
  return automaton
    .scan(units(text), text.length)
    .map((m) => `${m.pattern}@${m.start}`)
    .sort();
}

describe('Class: Automaton', () => {
  it('finds overlapping and nested patterns', () => {
    const automaton = new Automaton(['he', 'she', 'his', 'hers']);
    const matches = automaton.scan(units('ushers'), 6);

    expect(matches).toEqual([
      { pattern: 1, start: 1, end: 4 },
      { pattern: 0, start: 2, end: 4 },
      { pattern: 3, start: 2, end: 6 },
    ]);
  });

  it('reports every pattern that ends at a position, including Chinese ones', () => {
    const automaton = new Automaton(['最', '最好', '好']);
    expect(scanned(automaton, '最好')).toEqual(['0@0', '1@0', '2@1']);
  });

  it('agrees with a naive search on random texts', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = 'ab最好c';
    const word = (length: number) =>
      Array.from({ length }, () => alphabet[random(alphabet.length)]).join('');

    for (let round = 0; round < 50; round++) {
      const patterns = Array.from({ length: 1 + random(8) }, () => word(1 + random(4)));
      const text = word(60);
      expect(scanned(new Automaton(patterns), text)).toEqual(naive(patterns, text));
      expect(scanned(new Automaton(patterns, { denseBudgetBytes: 0 }), text)).toEqual(
        naive(patterns, text),
      );
    }
  });

  it('gives the same matches with sparse transitions when the dense table is over budget', () => {
    const patterns = ['he', 'she', 'his', 'hers', '最', '最好', '好'];
    const sparse = new Automaton(patterns, { denseBudgetBytes: 0 });
    const dense = new Automaton(patterns);

    expect([sparse.dense, dense.dense]).toEqual([false, true]);
    for (const text of ['ushers', '最好最好', 'hishershe最']) {
      expect(scanned(sparse, text)).toEqual(scanned(dense, text));
      expect(scanned(sparse, text)).toEqual(naive(patterns, text));
    }
  });

  it('ignores empty patterns and scans only the given length', () => {
    const automaton = new Automaton(['', 'ab']);
    expect(automaton.scan(units('abab'), 3)).toEqual([{ pattern: 1, start: 0, end: 2 }]);
  });
});
