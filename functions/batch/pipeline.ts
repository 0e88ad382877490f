/**
 * @module
 * What the batch job needs from the copy pipeline, and how it reads the pipeline's failures: a
 * line's own fault becomes an error record, an engine fault pauses or interrupts the job.
 */

/** One validation problem of a brief, as `parseBrief` reports it. */
export interface BriefIssue {
  path: string;
  message: string;
}

/** The result of validating one line's brief. */
export type BriefParseOutcome<TBrief> =
  { success: true; data: TBrief } | { success: false; issues: BriefIssue[] };

/** Per-call options the pipeline accepts. */
export interface GenerateOptions {
  signal?: AbortSignal;
  requestId?: string;
}

/**
 * The pipeline the API uses too (validation, compliance, cache, engine), seen from the batch job.
 * `layers/copy`'s `parseBrief` and `createCopyPipeline(...)` fit it as they are.
 */
export interface BatchPipeline<TBrief> {
  parseBrief(raw: unknown): BriefParseOutcome<TBrief>;
  generate(brief: TBrief, options: GenerateOptions): Promise<unknown>;
}

/** How the job treats a failed `generate` call. */
export type FailureKind =
  /** The line asked for something the pipeline refuses (unlawful claims, prompt too long). */
  | 'line_rejected'
  /** The engine is saturated: slow down and try the line again. */
  | 'engine_overloaded'
  /** The engine is down or failing: try again, then interrupt the job and resume later. */
  | 'engine_fault'
  /** The job itself was stopped (deadline or signal): the line is redone on resume. */
  | 'stopped';

/** A failure read into what the job does about it. */
export interface ClassifiedFailure {
  kind: FailureKind;
  /** Stable snake_case reason for error records and logs. */
  reason: string;
  message: string;
  /** The engine's back-off hint, in seconds. */
  retryAfterS?: number;
}

interface ErrorFields {
  name?: unknown;
  status?: unknown;
  reason?: unknown;
  retryAfterS?: unknown;
  message?: unknown;
}

function fieldsOf(error: unknown): ErrorFields {
  return typeof error === 'object' && error !== null ? (error as ErrorFields) : {};
}

/**
 * Classifies an error thrown by `generate`. Errors cross unit boundaries here, so it reads their
 * status and name rather than their classes: 422 and other 4xx are the line's fault; 429, 5xx and
 * anything unexpected are not, so they never turn a good line into an error record.
 *
 * @example classifyFailure(new EngineError(503, 'engine_throttled', '...')).kind // 'engine_overloaded'
 */
export function classifyFailure(error: unknown, stopping = false): ClassifiedFailure {
  const fields = fieldsOf(error);
  const message = typeof fields.message === 'string' ? fields.message : String(error);
  const status = typeof fields.status === 'number' ? fields.status : undefined;
  const reason = typeof fields.reason === 'string' ? fields.reason : undefined;
  const retryAfterS = typeof fields.retryAfterS === 'number' ? fields.retryAfterS : undefined;
  const withHint = retryAfterS === undefined ? {} : { retryAfterS };

  if (stopping || fields.name === 'AbortError') {
    return { kind: 'stopped', reason: 'stopped', message };
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
    const lineReason = fields.name === 'BriefRejectedError' ? 'brief_rejected' : reason;
    return { kind: 'line_rejected', reason: lineReason ?? `rejected_${status}`, message };
  }
  if (status === 429 || reason === 'engine_throttled' || reason === 'queue_full') {
    return {
      kind: 'engine_overloaded',
      reason: reason ?? 'engine_throttled',
      message,
      ...withHint,
    };
  }
  return { kind: 'engine_fault', reason: reason ?? 'unexpected_error', message, ...withHint };
}
