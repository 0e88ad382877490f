/**
 * Errors of the copy pipeline that are the brief's fault, not the service's.
 * @module
 */
import type { FieldIssue } from './brief.js';

/** The brief asks for unlawful claims (its keywords, selling points or required terms). */
export class BriefRejectedError extends Error {
  override readonly name = 'BriefRejectedError';
  readonly status = 422 as const;

  /**
   * @param terms the unlawful terms found, as the brief wrote them
   * @param issues where each was found, e.g. `keywords[1]`
   */
  constructor(
    readonly terms: string[],
    readonly issues: FieldIssue[],
  ) {
    super(`the brief asks for unlawful claims: ${terms.map((t) => `"${t}"`).join(', ')}`);
  }
}
