/**
 * @module copy
 * Briefs, prompts, variants and the copy pipeline shared by the API and the batch job.
 */
export {
  BRIEF_LIMITS,
  BriefDocSchema,
  BriefSchema,
  CanonicalBriefSchema,
  NAMED_LENGTHS,
  STRATEGIES,
  integerField,
  isBrokenText,
  parseBrief,
  type Brief,
  type BriefParseResult,
  type FieldIssue,
} from './brief.js';
export {
  describeChannel,
  fieldBudgets,
  fitsChannel,
  measureCopy,
  outputSchema,
  tokenBudget,
  type FieldBudget,
} from './channel-format.js';
export { BriefRejectedError } from './errors.js';
export { steer, type Steering } from './feedback.js';
export { degradedAnswer, templateCopies } from './fallback.js';
export {
  newAnswerId,
  roundMs,
  type CopyResponse,
  type CopyVariant,
  type RejectedVariant,
  type TokenListener,
} from './answer.js';
export {
  assertLawfulBrief,
  createCopyPipeline,
  type CopyPipeline,
  type CopyPipelineDeps,
  type EngineBreaker,
  type GenerateOptions,
} from './pipeline.js';
export { buildMessages, FINAL_MARKER, type ChatMessage, type RewriteContext } from './prompt.js';
export { charLength, hasCjk, isBlank, normaliseField } from './text.js';
export { HOLD_BACK_CHARS, StreamGuard } from './stream-guard.js';
export {
  extractCopy,
  isNearDuplicate,
  similarity,
  stripUnprintable,
  type ExtractedCopy,
} from './variants.js';
