/**
 * @module compliance
 * Advertising-law, platform and brand checks on ad copy, with spans into the original text.
 * Rule data lives in JSON files (layers/compliance/rules, shipped as a Lambda layer).
 */
export { Automaton } from './automaton.js';
export type { AutomatonMatch } from './automaton.js';
export { Checker } from './checker.js';
export type { CheckerLogger } from './checker.js';
export {
  blockTermsFor,
  checkText,
  checkTexts,
  createChecker,
  defaultChecker,
  reloadRules,
} from './default-checker.js';
export { foldTerm, foldText } from './normalize.js';
export type { FoldedText } from './normalize.js';
export {
  RuleFileError,
  loadRuleDirectory,
  parseRuleFile,
  ruleFileSchema,
  ruleSchema,
} from './rule-schema.js';
export type { RuleDefinition, RuleFile, RuleSpec } from './rule-schema.js';
export { BUNDLED_RULES_DIR, LAYER_RULES_DIR, resolveRulesDir } from './rules-dir.js';
export { complianceResultSchema, severitySchema, violationSchema } from './schemas.js';
export type { BrandTerms, CheckOptions, ComplianceResult, Severity, Violation } from './types.js';
export type { ChannelId, FieldName } from '../channels/index.js';
