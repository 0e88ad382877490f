import { describe, expect, it } from 'vitest';

import { copyTextOf } from '../../layers/copy/partial-json.js';

describe('Function: copyTextOf', () => {
  it('reads the copy fields of a finished answer, one a line, without the reasoning', () => {
    const json = '{"reasoning":"白领犯困","headline":"冷泡上新","body":"0糖","cta":"尝鲜"}';
    expect(copyTextOf(json)).toBe('冷泡上新\n0糖\n尝鲜');
  });

  it('grows as the answer is written, never showing syntax or a cut escape', () => {
    const json = '{"body": "say \\"hi\\"\\u4e2d", "cta": "go"}';
    const seen = Array.from({ length: json.length + 1 }, (_, end) =>
      copyTextOf(json.slice(0, end)),
    );

    for (let i = 1; i < seen.length; i += 1) expect(seen[i]!.startsWith(seen[i - 1]!)).toBe(true);
    expect(seen.at(-1)).toBe('say "hi"中\ngo');
    expect(seen.some((text) => text.includes('\\') || text.includes('{'))).toBe(false);
  });

  it('shows nothing of a reasoning field still being written', () => {
    expect(copyTextOf('{"reasoning":"先分析人群：第一')).toBe('');
  });
});
