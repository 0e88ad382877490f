/**
 * Choosing variants among generated candidates: a candidate passes when it has copy, breaks no
 * blocking rule, fits the channel, carries every required term, and is not a near-duplicate.
 * @module
 */
import { checkText, type Violation } from '../compliance/index.js';
import type { CopyVariant, RejectedVariant } from './answer.js';
import type { Brief } from './brief.js';
import { fitsChannel, measureCopy, outputSchema, tokenBudget } from './channel-format.js';
import { extractCopy, isNearDuplicate } from './variants.js';

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
    if (typeof copy === 'string') return this.reject(raw, [copy]);
    if (this.missing() <= 0) return { accepted: false };

    const compliance = checkText(copy.text, {
      language: this.brief.language,
      channel: this.brief.channel,
      ...(this.brief.brandVoice && { brand: this.brief.brandVoice }),
    });
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

/** A smaller token budget after a too-long candidate, from its measured characters per token. */
export function shrinkBudget(current: number, text: string, brief: Brief): number {
  const target = tokenBudget(brief, [...text].length / Math.max(1, current));
  return Math.max(4, Math.min(current - 1, target));
}
