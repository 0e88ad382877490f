import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  BUNDLED_RULES_DIR,
  Checker,
  RuleFileError,
  checkText,
  createChecker,
  loadRuleDirectory,
  parseRuleFile,
  reloadRules,
  resolveRulesDir,
} from '../../layers/compliance/index.js';

const GOOD_RULE = {
  id: 'brand.test.slogan',
  category: 'absolute_terms',
  severity: 'block',
  reason: 'Test reason.',
  suggestion: 'Test suggestion.',
  terms: ['超神'],
};

describe('Function: loadRuleDirectory', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rules-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the bundled rule files, every rule with reason and suggestion', () => {
    const rules = loadRuleDirectory(BUNDLED_RULES_DIR);

    expect(rules.length).toBeGreaterThan(25);
    expect(new Set(rules.map((r) => r.language))).toEqual(new Set(['zh', 'en', 'any']));
    for (const rule of rules) {
      expect(rule.reason.length).toBeGreaterThan(10);
      expect(rule.suggestion.length).toBeGreaterThan(5);
    }
  });

  it('expands @word classes in contexts', () => {
    const rules = loadRuleDirectory(BUNDLED_RULES_DIR);
    const first = rules.find((r) => r.id === 'zh.absolute.first');

    expect(first?.unless?.followedBy).toEqual(expect.arrayContaining(['次', '步', '天']));
  });

  it('loads a folder a legal team edits, and the checker uses it', () => {
    writeFileSync(join(dir, 'brand.json'), JSON.stringify({ language: 'zh', rules: [GOOD_RULE] }));
    const checker = createChecker({ dir });

    expect(checker.check('超 神 好喝').violations).toMatchObject([
      { ruleId: 'brand.test.slogan', start: 0, end: 3 },
    ]);
    expect(checker.check('最好喝').passed).toBe(true);
  });

  it('fails with the file and field path when a rule is invalid', () => {
    const bad = { ...GOOD_RULE, severity: 'fatal', terms: [] };
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ language: 'zh', rules: [bad] }));

    const error = captureError(() => loadRuleDirectory(dir));
    expect(error).toBeInstanceOf(RuleFileError);
    expect((error as RuleFileError).file).toBe(join(dir, 'bad.json'));
    expect((error as RuleFileError).issues.join('\n')).toMatch(/rules\.0\.severity/);
    expect((error as RuleFileError).issues.join('\n')).toMatch(/rules\.0\.terms/);
  });

  it('fails on malformed JSON, naming the file', () => {
    writeFileSync(join(dir, 'broken.json'), '{"language": "zh", ');
    expect(() => loadRuleDirectory(dir)).toThrow(/broken\.json: not valid JSON/);
  });

  it('fails on unknown keys instead of ignoring a misspelt field', () => {
    writeFileSync(
      join(dir, 'typo.json'),
      JSON.stringify({ language: 'zh', rules: [{ ...GOOD_RULE, term: ['x'] }] }),
    );
    expect(() => loadRuleDirectory(dir)).toThrow(/rules\.0: Unrecognized key/);
  });

  it('fails on an unknown word class and on duplicate rule ids', () => {
    const unknown = { ...GOOD_RULE, unless: { followedBy: ['@nope'] } };
    expect(() => parseRuleFile({ language: 'zh', rules: [unknown] }, 'x.json')).toThrow(
      /unknown word class @nope/,
    );

    writeFileSync(join(dir, 'a.json'), JSON.stringify({ language: 'zh', rules: [GOOD_RULE] }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ language: 'zh', rules: [GOOD_RULE] }));
    expect(() => loadRuleDirectory(dir)).toThrow(/duplicate rule ids: brand.test.slogan/);
  });

  it('fails on an empty or missing folder', () => {
    expect(() => loadRuleDirectory(dir)).toThrow(/no \*\.json rule files/);
    expect(() => loadRuleDirectory(join(dir, 'missing'))).toThrow(/cannot read the folder/);
  });
});

describe('Function: resolveRulesDir', () => {
  it('prefers COMPLIANCE_RULES_DIR, then the layer mount, then the bundled folder', () => {
    expect(resolveRulesDir({ COMPLIANCE_RULES_DIR: '/rules/here' })).toBe('/rules/here');
    expect(resolveRulesDir({})).toBe(BUNDLED_RULES_DIR);
  });
});

describe('Function: reloadRules', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rules-env-'));
  });

  afterEach(() => {
    delete process.env.COMPLIANCE_RULES_DIR;
    reloadRules();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes checkText use the folder COMPLIANCE_RULES_DIR names', () => {
    writeFileSync(join(dir, 'only.json'), JSON.stringify({ language: 'zh', rules: [GOOD_RULE] }));
    process.env.COMPLIANCE_RULES_DIR = dir;
    reloadRules();

    expect(checkText('超神').violations.map((v) => v.ruleId)).toEqual(['brand.test.slogan']);
    expect(checkText('最好').passed).toBe(true);
  });
});

describe('Class: Checker', () => {
  it('refuses two rules with one id', () => {
    const rules = parseRuleFile({ language: 'zh', rules: [GOOD_RULE] }, 'x.json');
    expect(() => new Checker([...rules, ...rules])).toThrow(RuleFileError);
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
