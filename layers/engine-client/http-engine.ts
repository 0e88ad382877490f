/**
 * @module engine-client/http-engine
 * The engine client for a container reached over plain HTTP (local runs, tests, `npm start`).
 */
import { CallScope, DEFAULT_DEADLINE_MS, type RetryPolicy } from './call-scope.js';
import { EngineError, engineErrorFromAnswer } from './errors.js';
import { readEngineResponse, toStreamEvents } from './response.js';
import { parseSse } from './sse.js';
import {
  silentLogger,
  type CallOptions,
  type Engine,
  type EngineLogger,
  type EngineRequest,
  type EngineResponse,
  type EngineStreamEvent,
} from './types.js';

/** Options of {@link HttpEngine}. */
export interface HttpEngineOptions {
  /** The container's base URL. @default 'http://127.0.0.1:8080' */
  baseUrl?: string;
  /** Deadline of calls that set none. @default 30000 */
  defaultDeadlineMs?: number;
  /** Retries of throttling and transient faults. @default 3 attempts, 100 ms first cap */
  retry?: RetryPolicy;
  /** @default a logger that drops everything */
  logger?: EngineLogger;
}

/** A connection that failed before any answer: worth another try. */
function unreachable(err: unknown): EngineError {
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = cause?.code ? ` (${cause.code})` : '';
  return new EngineError(502, 'engine_unreachable', `engine could not be reached${code}`, {
    retryable: true,
    cause: err,
  });
}

/**
 * Calls the engine's `POST /invocations` over HTTP; `stream` reads its server-sent events.
 * @example
 * const engine = new HttpEngine({ baseUrl: 'http://127.0.0.1:8080' });
 * const answer = await engine.generate({ prompt: 'Slogan:', max_new_tokens: 16 }, { deadlineMs: 5000 });
 */
export class HttpEngine implements Engine {
  readonly name = 'http';
  readonly baseUrl: string;
  private readonly invocationsUrl: string;
  private readonly defaultDeadlineMs: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly logger: EngineLogger;

  constructor(options: HttpEngineOptions = {}) {
    this.baseUrl = (options.baseUrl ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
    this.invocationsUrl = `${this.baseUrl}/invocations`;
    this.defaultDeadlineMs = options.defaultDeadlineMs ?? DEFAULT_DEADLINE_MS;
    this.retryPolicy = options.retry ?? {};
    this.logger = options.logger ?? silentLogger;
  }

  /** Sends one request and returns the engine's JSON answer. */
  async generate(request: EngineRequest, options: CallOptions = {}): Promise<EngineResponse> {
    const scope = new CallScope(options, this.defaultDeadlineMs);
    try {
      return await scope.retry(
        async (signal) => {
          const response = await this.post(request, false, scope, signal, options.requestId);
          const text = await response.text();
          return readEngineResponse(text, scope.deadlineMs);
        },
        this.retryPolicy,
        this.logger,
        options.requestId,
      );
    } catch (err) {
      throw scope.settle(err);
    } finally {
      scope.dispose();
    }
  }

  /**
   * Streams token events, then the `done` event. Retries happen only before the first byte of the
   * answer; leaving the loop early aborts the request so the engine frees its slot (case 20).
   */
  async *stream(
    request: EngineRequest,
    options: CallOptions = {},
  ): AsyncGenerator<EngineStreamEvent> {
    const scope = new CallScope(options, this.defaultDeadlineMs);
    const abortOnExit = new AbortController();
    try {
      const response = await scope.retry(
        (signal) =>
          this.post(
            request,
            true,
            scope,
            AbortSignal.any([signal, abortOnExit.signal]),
            options.requestId,
          ),
        this.retryPolicy,
        this.logger,
        options.requestId,
      );
      if (!response.body)
        throw new EngineError(502, 'bad_engine_response', 'engine stream has no body');
      yield* toStreamEvents(parseSse(response.body), scope.deadlineMs);
    } catch (err) {
      throw scope.settle(err);
    } finally {
      abortOnExit.abort();
      scope.dispose();
    }
  }

  /** POSTs the request and returns the 2xx response, or throws the mapped engine error. */
  private async post(
    request: EngineRequest,
    stream: boolean,
    scope: CallScope,
    signal: AbortSignal,
    requestId: string | undefined,
  ): Promise<Response> {
    const body = {
      ...request,
      stream,
      deadline_ms: Math.min(request.deadline_ms ?? Infinity, scope.remainingMs()),
    };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
    };
    if (requestId) headers['x-request-id'] = requestId;

    let response: Response;
    try {
      response = await fetch(this.invocationsUrl, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal,
      });
    } catch (err) {
      throw signal.aborted ? err : unreachable(err);
    }

    if (response.ok) return response;
    const text = await response.text();
    throw engineErrorFromAnswer(response.status, text, response.headers.get('retry-after'));
  }
}
