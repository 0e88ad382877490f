/**
 * Choosing variants among generated candidates: a candidate passes when it has copy, breaks no
 * blocking rule, fits the channel, carries every required term, and is not a near-duplicate.
 * @module
 */
import { checkText, type ComplianceResult, type Violation } from '../compliance/index.js';
import type { CopyVariant, RejectedVariant } from './answer.js';
import type { Brief } from './brief.js';
import { fitsChannel, measureCopy, outputSchema, tokenBudget } from './channel-format.js';
import { extractCopy, isNearDuplicate, type ExtractedCopy } from './variants.js';

/**
 * The variants accepted so far and the candidates rejected, for one brief. A candidate passes when
 * it has copy, breaks no blocking rule, fits the channel, carries every required term, and is not
 * a near-duplicate of an accepted variant or of an earlier one in the session.
 */
export class Selection {
  readonly accepted: CopyVariant[] = [];
  readonly rejected: RejectedVariant[] = [];

  private readonly structured: boolean;

  constructor(
    private readonly brief: Brief,
    private readonly earlier: readonly string[],
  ) {
    this.structured = outputSchema(brief) !== undefined;
  }

  missing(): number {
    return this.brief.variants - this.accepted.length;
  }

  consider(raw: string): { accepted: boolean; violations?: Violation[]; tooLong?: boolean } {
    const copy = extractCopy(raw, this.brief.strategy, this.structured);
    // The raw text of a failed extraction may be reasoning or broken JSON: never shown.
    if (typeof copy === 'string') return this.reject('', [copy]);
    if (this.missing() <= 0) return { accepted: false };

    const compliance = checkCopy(this.brief, copy);
    const reasons: string[] = [];
    if (!compliance.passed) reasons.push('compliance');
    const unfit = fitsChannel(this.brief, copy);
    if (unfit) reasons.push(unfit);
    const absent = (this.brief.brandVoice?.requiredTerms ?? []).filter(
      (t) => !copy.text.includes(t),
    );
    if (absent.length > 0) reasons.push(`missing_required_terms: ${absent.join(', ')}`);
    const seen = [...this.earlier, ...this.accepted.map((variant) => variant.text)];
    if (isNearDuplicate(copy.text, seen)) reasons.push('near_duplicate');

    if (reasons.length > 0) {
      const blocking = compliance.violations.filter((violation) => violation.severity === 'block');
      this.rejected.push({
        text: copy.text,
        reasons,
        ...(blocking.length > 0 && { violations: blocking }),
      });
      return { accepted: false, violations: blocking, tooLong: unfit === 'too_long' };
    }

    this.accepted.push({
      ...copy,
      index: this.accepted.length,
      length: measureCopy(this.brief, copy.text),
      compliance,
    });
    return { accepted: true };
  }

  private reject(text: string, reasons: string[]): { accepted: false } {
    this.rejected.push({ text, reasons });
    return { accepted: false };
  }
}

/**
 * Checks a variant as a whole and each of its parts as the field it is, so a platform's field
 * rules apply (no "!" in a search headline); spans point into the variant's text.
 */
export function checkCopy(brief: Brief, copy: ExtractedCopy): ComplianceResult {
  const options = {
    language: brief.language,
    channel: brief.channel,
    ...(brief.brandVoice && { brand: brief.brandVoice }),
  };
  const violations = [...checkText(copy.text, options).violations];
  const seen = new Set(violations.map(spanKey));

  let cursor = 0;
  for (const field of ['headline', 'body', 'cta'] as const) {
    const value = copy[field];
    if (value === undefined) continue;
    const offset = copy.text.indexOf(value, cursor);
    if (offset < 0) continue;
    cursor = offset + value.length;

    for (const violation of checkText(value, { ...options, field }).violations) {
      const shifted = {
        ...violation,
        start: violation.start + offset,
        end: violation.end + offset,
      };
      if (!seen.has(spanKey(shifted))) {
        seen.add(spanKey(shifted));
        violations.push(shifted);
      }
    }
  }
  violations.sort((a, b) => a.start - b.start || a.end - b.end);
  return { passed: violations.every((v) => v.severity !== 'block'), violations };
}

function spanKey(violation: Violation): string {
  return `${violation.ruleId}:${violation.start}:${violation.end}`;
}

/** A smaller token budget after a too-long candidate, from its measured characters per token. */
export function shrinkBudget(current: number, text: string, brief: Brief): number {
  const target = tokenBudget(brief, [...text].length / Math.max(1, current));
  return Math.max(4, Math.min(current - 1, target));
}
