/**
 * @module engine-client/errors
 * The client's two error classes and the one place that maps an engine answer to them.
 * Engine faults become 502/503/504 with a snake_case reason; requests the engine refuses as invalid
 * become a 400 that carries the engine's own message (e.g. a prompt longer than the context).
 */

/** Statuses an engine fault may surface as. */
export type EngineFaultStatus = 502 | 503 | 504;

/** Options of {@link EngineError}. */
export interface EngineErrorOptions {
  /** Seconds the caller should wait before trying again (sent on as `Retry-After`). */
  retryAfterS?: number;
  /** Whether the client may try again (throttling and transient faults only). @default false */
  retryable?: boolean;
  /** The underlying error, kept for logs. */
  cause?: unknown;
}

/**
 * The engine could not answer: throttled or unavailable (503), out of time (504) or broken (502).
 * @example
 * if (err instanceof EngineError && err.retryAfterS) c.header('Retry-After', `${err.retryAfterS}`);
 */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  readonly status: EngineFaultStatus;
  /** Stable snake_case reason, e.g. `engine_throttled`, `deadline_exceeded`, `circuit_open`. */
  readonly reason: string;
  readonly retryAfterS?: number;
  readonly retryable: boolean;

  constructor(
    status: EngineFaultStatus,
    reason: string,
    message: string,
    options: EngineErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.reason = reason;
    this.retryable = options.retryable ?? false;
    if (options.retryAfterS !== undefined) this.retryAfterS = options.retryAfterS;
  }
}

/**
 * The engine refused the request as invalid (its 400 `validation`), e.g. a prompt longer than the
 * context or `max_new_tokens` over the limit. The message is the engine's and says which limit.
 * Never retried and never counted against the circuit breaker.
 */
export class EngineRejectedError extends Error {
  override readonly name = 'EngineRejectedError';
  readonly status = 400 as const;
  readonly reason = 'engine_rejected';
  /** The engine's `error_type`, usually `validation`. */
  readonly errorType: string;

  constructor(message: string, errorType = 'validation') {
    super(message);
    this.errorType = errorType;
  }
}

/** Either error the client raises for a failed call (an abort rethrows the signal's reason). */
export type EngineCallError = EngineError | EngineRejectedError;

/** True for the errors this client raises itself. */
export function isEngineCallError(err: unknown): err is EngineCallError {
  return err instanceof EngineError || err instanceof EngineRejectedError;
}

/** Engine statuses that mean the request itself is invalid (validation, size). */
const REJECTED_STATUSES = new Set([400, 413, 422]);

/** Back-off hint used when a throttled answer carries no `Retry-After`. */
export const DEFAULT_RETRY_AFTER_S = 1;

/** The engine's JSON error body, `{error, error_type}`, read leniently. */
interface EngineErrorBody {
  error?: string;
  error_type?: string;
}

/** Parses the engine's error body; a body that is not its JSON shape is kept as plain text. */
function readErrorBody(text: string): EngineErrorBody {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object') return parsed as EngineErrorBody;
  } catch {
    // a proxy or load balancer may answer in HTML or plain text
  }
  return { error: text.trim().slice(0, 300) };
}

/** Reads a `Retry-After` header given in seconds (the engine never sends an HTTP date). */
export function parseRetryAfter(header: string | null | undefined): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
}

/**
 * Maps a non-2xx engine answer to the client's error. Used for plain HTTP answers and for the
 * container answers that SageMaker relays inside a `ModelError`.
 * @param status the engine's HTTP status
 * @param bodyText the engine's response body
 * @param retryAfter the `Retry-After` header, if any
 */
export function engineErrorFromAnswer(
  status: number,
  bodyText: string,
  retryAfter?: string | null,
): EngineCallError {
  const body = readErrorBody(bodyText);
  const detail = body.error || `engine answered ${status}`;
  const errorType = body.error_type ?? '';

  if (status === 429) {
    return new EngineError(503, 'engine_throttled', `engine is throttling requests: ${detail}`, {
      retryable: true,
      retryAfterS: parseRetryAfter(retryAfter) ?? DEFAULT_RETRY_AFTER_S,
    });
  }
  if (status === 503) {
    const reason =
      errorType === 'draining' || errorType === 'loading'
        ? `engine_${errorType}`
        : 'engine_unavailable';
    return new EngineError(503, reason, `engine is unavailable: ${detail}`, {
      retryable: true,
      retryAfterS: parseRetryAfter(retryAfter) ?? DEFAULT_RETRY_AFTER_S,
    });
  }
  if (status === 502 || status === 504) {
    // a gateway in front of the engine lost it for a moment
    const message = `engine gateway answered ${status}: ${detail}`;
    return new EngineError(502, 'engine_unreachable', message, { retryable: true });
  }
  if (REJECTED_STATUSES.has(status)) {
    return new EngineRejectedError(detail, errorType || 'validation');
  }
  if (status >= 400 && status < 500) {
    // a 404 or 401 means the client calls the wrong URL or lacks access: a deployment fault
    return new EngineError(502, 'engine_misconfigured', `engine answered ${status}: ${detail}`);
  }
  const message = `engine failed (${errorType || status}): ${detail}`;
  return new EngineError(502, 'generation_failed', message);
}

/** The error for a stream's `event: error`, which arrives after the answer already started. */
export function engineErrorFromStreamEvent(data: string): EngineError {
  const body = readErrorBody(data);
  const type = body.error_type ?? 'no type';
  const detail = `engine stream failed (${type}): ${body.error ?? 'no detail'}`;
  if (body.error_type === 'deadline') return new EngineError(504, 'deadline_exceeded', detail);
  return new EngineError(502, 'generation_failed', detail);
}

/** The 504 raised when the call's deadline passes. */
export function deadlineError(deadlineMs: number): EngineError {
  const message = `engine call exceeded its ${deadlineMs} ms deadline`;
  return new EngineError(504, 'deadline_exceeded', message);
}
