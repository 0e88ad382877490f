/**
 * @module compliance/types
 * The checker's public shapes: violations with spans into the original text, results, options.
 */
import type { ChannelId, FieldName } from '../channels/index.js';

/** 'block': the copy may not be published; 'warn': a person should look before it is. */
export type Severity = 'block' | 'warn';

/** One problem found in a text. */
export interface Violation {
  /** the id of the rule in the rule files, or 'brand.banned', 'brand.required', 'channel.…' */
  ruleId: string;
  /** snake_case family: absolute_terms, medical_claims, editorial, channel_length, … */
  category: string;
  severity: Severity;
  /** the rule's term that matched, in its canonical spelling (the text may spell it otherwise) */
  term: string;
  /** UTF-16 offset into the original text; text.slice(start, end) is exactly what was flagged */
  start: number;
  /** end offset, exclusive */
  end: number;
  /** why this is a problem, in plain words */
  reason: string;
  /** lawful wording to use instead */
  suggestion: string;
}

/** The verdict on one text. */
export interface ComplianceResult {
  /** false when any violation has severity 'block' */
  passed: boolean;
  /** in order of position in the text */
  violations: Violation[];
}

/** A brand's own term lists. */
export interface BrandTerms {
  /** terms the brand never wants in its copy (blocking) */
  bannedTerms?: string[];
  /** terms the brand wants in every copy; a missing one is a warning */
  requiredTerms?: string[];
}

/** How to check a text. */
export interface CheckOptions {
  /** the copy's language; Chinese rules also apply whenever the text holds Han characters */
  language?: 'zh' | 'en';
  /** apply this channel's editorial rules (and length limits when `field` is given) */
  channel?: ChannelId;
  /** which field of the ad the text is; without it only rules common to all fields apply */
  field?: FieldName;
  brand?: BrandTerms;
}
