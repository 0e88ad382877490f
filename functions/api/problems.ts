/**
 * Problem details (RFC 9457): the one error shape of the API, and the one place where internal
 * failures become HTTP statuses.
 * @module
 */
import type { Context } from 'hono';

import { BriefRejectedError, type FieldIssue } from '../../layers/copy/index.js';
import { EngineError, EngineRejectedError } from '../../layers/engine-client/index.js';

/** Stable, snake_case problem types. Each is documented on /docs. */
export const PROBLEM_TYPES = {
  invalid_json: { status: 400, title: 'The body is not valid JSON' },
  invalid_request: { status: 400, title: 'The request is invalid' },
  unauthorized: { status: 401, title: 'An API key is required' },
  forbidden: { status: 403, title: 'The API key is not valid' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  body_too_large: { status: 413, title: 'The body is too large' },
  unsupported_media_type: { status: 415, title: 'The body must be JSON' },
  unlawful_brief: { status: 422, title: 'The brief asks for unlawful claims' },
  prompt_too_long: { status: 422, title: 'The brief does not fit the model context' },
  rate_limited: { status: 429, title: 'Too many requests' },
  engine_failed: { status: 502, title: 'The copy engine failed' },
  engine_unavailable: { status: 503, title: 'The copy engine is unavailable' },
  engine_timeout: { status: 504, title: 'The copy engine did not answer in time' },
  internal: { status: 500, title: 'Internal error' },
} as const;

export type ProblemType = keyof typeof PROBLEM_TYPES;

/** Extra members of a problem body, and headers such as Retry-After. */
export interface ProblemExtras {
  errors?: FieldIssue[];
  terms?: string[];
  reason?: string;
  retryAfterS?: number;
}

/** An error that is answered as a problem document with its status. */
export class ProblemError extends Error {
  readonly status: number;

  constructor(
    readonly type: ProblemType,
    readonly detail: string,
    readonly extras: ProblemExtras = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.status = PROBLEM_TYPES[type].status;
  }
}

/**
 * Maps any thrown value to a problem. Unknown errors are a 500 whose body carries no internal
 * detail; the caller logs the cause.
 */
export function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;

  if (error instanceof BriefRejectedError) {
    return new ProblemError('unlawful_brief', error.message, {
      terms: error.terms,
      errors: error.issues,
    });
  }
  if (error instanceof EngineRejectedError) {
    return new ProblemError('prompt_too_long', error.message, { reason: error.reason });
  }
  if (error instanceof EngineError) {
    const type =
      error.status === 504
        ? 'engine_timeout'
        : error.status === 503
          ? 'engine_unavailable'
          : 'engine_failed';
    return new ProblemError(type, error.message, {
      reason: error.reason,
      retryAfterS: error.retryAfterS,
    });
  }
  return new ProblemError(
    'internal',
    'The service failed; the request id identifies it in our logs.',
  );
}

/** Writes `problem` as an `application/problem+json` response. */
export function problemResponse(c: Context, problem: ProblemError): Response {
  const { errors, terms, reason, retryAfterS } = problem.extras;
  const body = {
    type: `/docs#problem-${problem.type}`,
    title: PROBLEM_TYPES[problem.type].title,
    status: problem.status,
    detail: problem.detail,
    instance: c.req.path,
    requestId: c.get('requestId') as string | undefined,
    ...(reason && { reason }),
    ...(terms && { terms }),
    ...(errors && { errors }),
  };

  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (body.requestId) headers['x-request-id'] = body.requestId;
  if (retryAfterS !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterS)));
  return new Response(JSON.stringify(body), { status: problem.status, headers });
}
