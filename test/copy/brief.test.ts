import { describe, expect, it } from 'vitest';

import { parseBrief, type Brief, type BriefParseResult } from '../../layers/copy/index.js';
import { FIELD_CASE_BRIEF, HEADPHONES_BRIEF } from '../helpers/briefs.js';

const B = FIELD_CASE_BRIEF;

function accepted(result: BriefParseResult): Brief {
  if (!result.success)
    throw new Error(`expected a valid brief, got ${JSON.stringify(result.issues)}`);
  return result.data;
}

function issuesOf(result: BriefParseResult) {
  if (result.success) throw new Error('expected the brief to be rejected');
  return result.issues;
}

describe('Function: parseBrief', () => {
  it('maps the snake_case names ad teams send to the canonical brief', () => {
    const brief = accepted(parseBrief(HEADPHONES_BRIEF));

    expect(brief).toMatchObject({
      product: '极光系列无线降噪耳机',
      tone: '年轻潮流',
      audience: ['Z世代', '学生群体'],
      keywords: ['沉浸音效', '通勤神器'],
      style: '口语化短句',
      sessionId: 'sess_demo_1',
      language: 'zh',
      channel: 'generic',
      variants: 3,
      strategy: 'structured',
    });
  });

  it('detects English from the product when no language is given', () => {
    expect(accepted(parseBrief({ product: 'Trail running shoe' })).language).toBe('en');
  });

  it('normalises whitespace so equal briefs are equal', () => {
    const spaced = accepted(parseBrief({ ...B, product: '  冷泡\u3000\u3000乌龙 \u200B' }));
    expect(spaced.product).toBe('冷泡 乌龙');
  });

  it.each([['   '], ['\u3000\u3000'], ['\u200B'], ['\uFEFF\u200D']])(
    'returns an issue on brand when it is blank: %j',
    (brand) => {
      expect(issuesOf(parseBrief({ ...B, brand }))).toEqual([
        { path: 'brand', message: 'must not be blank or only invisible characters' },
      ]);
    },
  );

  it('names a misspelt key instead of ignoring it', () => {
    const { language: _language, ...rest } = B;
    expect(issuesOf(parseBrief({ ...rest, langauge: 'en' }))).toEqual([
      { path: '(body)', message: 'unknown field "langauge"' },
    ]);
  });

  it('rejects __proto__ keys at any depth', () => {
    const body = JSON.parse('{"product":"茶","brandVoice":{"__proto__":{"x":1}}}');
    expect(issuesOf(parseBrief(body))).toEqual([
      { path: 'brandVoice.__proto__', message: 'is not an allowed field name' },
    ]);
  });

  it('reports a missing product as required', () => {
    expect(issuesOf(parseBrief({ brand: '山茶' }))).toContainEqual({
      path: 'product',
      message: 'is required',
    });
  });

  it('reports paths with the name the client sent', () => {
    const issues = issuesOf(parseBrief({ product_name: 'x'.repeat(81) }));
    expect(issues).toEqual([
      { path: 'product_name', message: 'must be at most 80 characters (got 81)' },
    ]);
  });

  it('counts characters, not UTF-16 units', () => {
    const forty = '🍵'.repeat(40);
    expect(accepted(parseBrief({ ...B, brand: forty })).brand).toBe(forty);
    expect(issuesOf(parseBrief({ ...B, brand: `${forty}🍵` }))[0]?.message).toBe(
      'must be at most 40 characters (got 41)',
    );
  });

  it('reads a string of plain digits as the number, the one rule for numeric strings', () => {
    expect(accepted(parseBrief({ ...B, variants: '5' })).variants).toBe(5);
    expect(accepted(parseBrief({ ...B, length: '120' })).length).toBe(120);
  });

  it.each([[''], [' '], ['1e3'], ['12abc'], ['-5'], ['3.5']])(
    'returns an issue on variants for the string %j',
    (variants) => {
      const [issue] = issuesOf(parseBrief({ ...B, variants }));
      expect(issue?.path).toBe('variants');
    },
  );

  it.each([[0], [-5], [1e9], [11]])(
    'returns an issue for out-of-range numbers: variants %d',
    (variants) => {
      expect(issuesOf(parseBrief({ ...B, variants }))[0]?.path).toBe('variants');
    },
  );

  it.each([[0], [-5], [1e9]])('returns an issue for a length of %d', (length) => {
    expect(issuesOf(parseBrief({ ...B, length }))[0]?.path).toBe('length');
  });

  it('names the limit when a list is far too long', () => {
    const features = Array.from({ length: 20_000 }, () => 'x'.repeat(300));
    const issues = issuesOf(parseBrief({ ...B, features }));
    expect(issues.map((issue) => issue.message)).toContain('at most 10 features (got 20000)');
  });

  it('tells a wrong type from a missing field', () => {
    expect(issuesOf(parseBrief({ product: 12345 }))).toEqual([
      { path: 'product', message: 'must be string (got number 12345)' },
    ]);
    expect(issuesOf(parseBrief({ ...B, variants: '' }))).toEqual([
      {
        path: 'variants',
        message: 'must be an integer (a string is accepted only as plain digits, like "3")',
      },
    ]);
    expect(issuesOf(parseBrief([]))).toEqual([
      { path: '(body)', message: 'the body must be a JSON object' },
    ]);
  });

  it('names what length and audience accept', () => {
    expect(issuesOf(parseBrief({ ...B, length: 'tiny' }))[0]?.message).toBe(
      'must be short, medium, long, or a whole number of characters from 1 to 1000',
    );
    expect(
      issuesOf(parseBrief({ ...B, audience: ['a', 'b', 'c', 'd', 'e', 'f'] }))[0]?.message,
    ).toContain('at most 5 texts');
  });

  it('reads a large number sent as digits by the same rule as a small one', () => {
    expect(accepted(parseBrief({ ...B, seed: '2147483647' })).seed).toBe(2147483647);
  });

  it('refuses broken text with a lone surrogate', () => {
    expect(issuesOf(parseBrief({ ...B, product: '冷泡\ud800乌龙' }))[0]).toEqual({
      path: 'product',
      message: 'contains broken text (invalid UTF-8 or a lone UTF-16 surrogate)',
    });
  });

  it('answers a body nested thousands deep with an issue, not a stack overflow', () => {
    const deep = JSON.parse(`{"product":"茶","brandVoice":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    expect(issuesOf(parseBrief(deep))[0]?.message).toBe('is nested deeper than 8 levels');
  });

  it('refuses two names for one field', () => {
    expect(issuesOf(parseBrief({ ...B, product_name: '冷泡乌龙' }))).toEqual([
      { path: 'product_name', message: 'duplicates "product": send only one of them' },
    ]);
  });

  it('returns issues for wrong types with their paths', () => {
    const issues = issuesOf(parseBrief({ product: 42, features: 'tea', channel: 'fax' }));
    expect(issues.map((issue) => issue.path).sort()).toEqual(['channel', 'features', 'product']);
  });
});
