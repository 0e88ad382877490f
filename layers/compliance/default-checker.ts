/**
 * @module compliance/default-checker
 * The process-wide checker behind checkText, loaded on first use from resolveRulesDir().
 */
import { Checker, type CheckerLogger } from './checker.js';
import { loadRuleDirectory, type RuleDefinition } from './rule-schema.js';
import { resolveRulesDir } from './rules-dir.js';
import type { CheckOptions, ComplianceResult } from './types.js';

let shared: Checker | undefined;

/**
 * The shared checker; the first call loads and validates the rule files (a bad file throws a
 * RuleFileError naming the file and field).
 */
export function defaultChecker(logger?: CheckerLogger): Checker {
  if (!shared) shared = Checker.fromDirectory(resolveRulesDir(), logger);
  return shared;
}

/**
 * Loads the rule files again (after a new rules layer or a changed COMPLIANCE_RULES_DIR). The
 * old checker stays in use if the new files are invalid, and the error is thrown.
 */
export function reloadRules(logger?: CheckerLogger): Checker {
  shared = Checker.fromDirectory(resolveRulesDir(), logger);
  return shared;
}

/**
 * A checker for the given rules, or for the rule files of a folder.
 * @example createChecker({ dir: './my-rules' }).check('最佳口感')
 */
export function createChecker(rules: readonly RuleDefinition[] | { dir: string }): Checker {
  if ('dir' in rules) return new Checker(loadRuleDirectory(rules.dir));
  return new Checker(rules);
}

/**
 * Checks one text with the shared rules.
 * @example checkText('全\u200B国\u200B第\u200B一').violations[0].term // '全国第一'
 */
export function checkText(text: string, options?: CheckOptions): ComplianceResult {
  return defaultChecker().check(text, options);
}

/** Checks several texts with the same options; one result per text, in order. */
export function checkTexts(texts: readonly string[], options?: CheckOptions): ComplianceResult[] {
  const checker = defaultChecker();
  return texts.map((text) => checker.check(text, options));
}

/** The 'block' terms for a language, to hand to the engine as bad_words. */
export function blockTermsFor(language: 'zh' | 'en'): string[] {
  return defaultChecker().blockTerms(language);
}
