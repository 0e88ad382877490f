/**
 * @module engine-client/call-scope
 * One engine call's deadline, cancellation and retries. Every attempt and every back-off sleep runs
 * inside the same deadline, so retries never make a call outlive its budget (case 14).
 */
import { deadlineError, EngineError, isEngineCallError } from './errors.js';
import type { CallOptions, EngineLogger } from './types.js';

/** How the client retries throttling and transient faults. */
export interface RetryPolicy {
  /** Attempts in all, the first one included. @default 3 */
  maxAttempts?: number;
  /** Back-off cap of the first retry in ms; it doubles per retry. @default 100 */
  baseDelayMs?: number;
  /** Largest back-off cap in ms. @default 2000 */
  maxDelayMs?: number;
  /** Source of randomness in [0, 1), replaceable in tests. @default Math.random */
  random?: () => number;
}

/** The deadline a call gets when the caller sets none. */
export const DEFAULT_DEADLINE_MS = 30_000;

/** Below this much time left a retry is not worth starting. */
const MIN_ATTEMPT_MS = 20;

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The lifetime of one call: a signal that aborts on the caller's signal or at the deadline, and
 * the time left. Dispose it when the call ends so its timer does not hold the process open.
 */
export class CallScope {
  /** Aborts when the caller aborts or the deadline passes. */
  readonly signal: AbortSignal;
  readonly deadlineMs: number;
  private readonly controller = new AbortController();
  private readonly startedAt = performance.now();
  private readonly timer: NodeJS.Timeout;
  private readonly callerSignal: AbortSignal | undefined;
  private readonly onCallerAbort = (): void => this.controller.abort(this.callerSignal?.reason);

  constructor(options: CallOptions, defaultDeadlineMs: number) {
    this.deadlineMs = options.deadlineMs ?? defaultDeadlineMs;
    if (!Number.isFinite(this.deadlineMs) || this.deadlineMs <= 0) {
      throw new TypeError(`deadlineMs must be a number of ms > 0, got ${this.deadlineMs}`);
    }
    this.signal = this.controller.signal;
    this.callerSignal = options.signal;
    this.timer = setTimeout(
      () => this.controller.abort(deadlineError(this.deadlineMs)),
      this.deadlineMs,
    );
    if (this.callerSignal?.aborted) this.onCallerAbort();
    this.callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  /** Milliseconds left before the deadline (never below 0). */
  remainingMs(): number {
    return Math.max(0, Math.floor(this.deadlineMs - (performance.now() - this.startedAt)));
  }

  /**
   * The error a failed operation should surface: the deadline's 504 or the caller's abort reason
   * when the scope was aborted (a fetch rejects with a generic AbortError then), the client's own
   * errors as they are, and anything else (a socket reset mid-body) as a 502.
   */
  settle(err: unknown): unknown {
    if (this.signal.aborted) return this.signal.reason;
    if (isEngineCallError(err)) return err;
    // the socket broke while the answer was being read
    return new EngineError(502, 'engine_connection_lost', 'engine connection broke mid-answer', {
      cause: err,
    });
  }

  /** Stops the deadline timer and detaches from the caller's signal. */
  dispose(): void {
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, or time runs out. Only an `EngineError`
   * marked retryable is retried, after a full-jitter back-off (a random wait up to a doubling
   * cap) that must end with time to spare before the deadline; otherwise the last fault is thrown
   * as it is.
   */
  async retry<T>(
    attempt: (signal: AbortSignal) => Promise<T>,
    policy: RetryPolicy,
    logger: EngineLogger,
    requestId?: string,
  ): Promise<T> {
    const { maxAttempts = 3, baseDelayMs = 100, maxDelayMs = 2000, random = Math.random } = policy;

    for (let attemptNo = 1; ; attemptNo++) {
      try {
        return await attempt(this.signal);
      } catch (err) {
        const settled = this.settle(err);
        if (!(settled instanceof EngineError) || !settled.retryable || attemptNo >= maxAttempts) {
          throw settled;
        }

        const delayMs = Math.floor(
          random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attemptNo - 1)),
        );
        if (delayMs + MIN_ATTEMPT_MS >= this.remainingMs()) throw settled;

        logger.warn('engine call failed, retrying', {
          request_id: requestId,
          reason: settled.reason,
          attempt: attemptNo,
          delay_ms: delayMs,
        });
        await sleep(delayMs, this.signal).catch((abortErr: unknown) => {
          throw this.settle(abortErr);
        });
      }
    }
  }
}
