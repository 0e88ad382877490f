/**
 * @module engine-client/engine-base
 * What both engine clients share: one deadline scope per call, retries of the attempt that may be
 * retried, and the clean-up of a stream the consumer leaves early.
 */
import { CallScope, DEFAULT_DEADLINE_MS, type RetryPolicy } from './call-scope.js';
import { deadlineError } from './errors.js';
import {
  silentLogger,
  type CallOptions,
  type Engine,
  type EngineLogger,
  type EngineRequest,
  type EngineResponse,
  type EngineStreamEvent,
} from './types.js';

/** Options every engine client takes. */
export interface EngineClientOptions {
  /** Deadline of calls that set none. @default 30000 */
  defaultDeadlineMs?: number;
  /** Retries of throttling and transient faults. @default 3 attempts, 100 ms first cap */
  retry?: RetryPolicy;
  /** @default a logger that drops everything */
  logger?: EngineLogger;
}

/** What one attempt gets to build its wire request. */
export interface Attempt {
  request: EngineRequest;
  options: CallOptions;
  /** Aborts at the deadline, on the caller's abort, or when a stream's consumer leaves. */
  signal: AbortSignal;
  /** The request's `deadline_ms` for the engine: the time left, or less if the caller asked. */
  deadlineMs: number;
  /** The call's whole deadline, for error messages. */
  callDeadlineMs: number;
  /** The caller's request id when it can travel in an HTTP header (visible ASCII, up to 200). */
  headerRequestId: string | undefined;
}

/** Header values must be visible ASCII; an id that is not is left off rather than failing. */
const HEADER_SAFE = /^[\x21-\x7e]{1,200}$/;

/**
 * The frame of an engine client. Subclasses implement one attempt of each call; this class runs
 * attempts inside the call's deadline, retries the retryable ones, and maps what escapes.
 */
export abstract class EngineBase implements Engine {
  abstract readonly name: string;
  protected readonly defaultDeadlineMs: number;
  protected readonly retryPolicy: RetryPolicy;
  protected readonly logger: EngineLogger;

  protected constructor(options: EngineClientOptions) {
    this.defaultDeadlineMs = options.defaultDeadlineMs ?? DEFAULT_DEADLINE_MS;
    this.retryPolicy = options.retry ?? {};
    this.logger = options.logger ?? silentLogger;
  }

  /** One request, one JSON answer; retried as a whole while retries are allowed. */
  async generate(request: EngineRequest, options: CallOptions = {}): Promise<EngineResponse> {
    const scope = new CallScope(options, this.defaultDeadlineMs);
    try {
      return await scope.retry(
        (signal) => this.sendOnce(this.attempt(request, options, scope, signal)),
        this.retryPolicy,
        this.logger,
        options.requestId,
      );
    } catch (err) {
      throw scope.settle(this.mapError(err));
    } finally {
      scope.dispose();
    }
  }

  /**
   * Token events, then `done`. Only opening the stream is retried: once a token went out, a retry
   * would repeat text. Leaving the loop early aborts the request so the engine frees its slot
   * (case 20).
   */
  async *stream(
    request: EngineRequest,
    options: CallOptions = {},
  ): AsyncGenerator<EngineStreamEvent> {
    const scope = new CallScope(options, this.defaultDeadlineMs);
    const consumerLeft = new AbortController();
    try {
      const events = await scope.retry(
        (signal) => {
          const both = AbortSignal.any([signal, consumerLeft.signal]);
          return this.openStreamOnce(this.attempt(request, options, scope, both));
        },
        this.retryPolicy,
        this.logger,
        options.requestId,
      );
      yield* events;
    } catch (err) {
      throw scope.settle(this.mapError(err));
    } finally {
      consumerLeft.abort();
      scope.dispose();
    }
  }

  /** One attempt of `generate`: send, read and check the answer. */
  protected abstract sendOnce(attempt: Attempt): Promise<EngineResponse>;

  /** One attempt to open a stream; the events it returns are read without retries. */
  protected abstract openStreamOnce(attempt: Attempt): Promise<AsyncIterable<EngineStreamEvent>>;

  /** Maps a transport's own errors; the client's errors and aborts pass through. */
  protected mapError(err: unknown): unknown {
    return err;
  }

  /** The facts one attempt needs, taken when it starts. */
  private attempt(
    request: EngineRequest,
    options: CallOptions,
    scope: CallScope,
    signal: AbortSignal,
  ): Attempt {
    const deadlineMs = Math.min(request.deadline_ms ?? Infinity, scope.remainingMs());
    // the engine refuses deadline_ms 0 as invalid; out of time is the client's 504, not a 400
    if (deadlineMs < 1) throw deadlineError(scope.deadlineMs);
    const id = options.requestId;
    const headerRequestId = id !== undefined && HEADER_SAFE.test(id) ? id : undefined;
    return {
      request,
      options,
      signal,
      deadlineMs,
      callDeadlineMs: scope.deadlineMs,
      headerRequestId,
    };
  }
}
