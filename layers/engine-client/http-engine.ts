/**
 * @module engine-client/http-engine
 * The engine client for a container reached over plain HTTP (local runs, tests, `npm start`).
 */
import { EngineBase, type Attempt, type EngineClientOptions } from './engine-base.js';
import { EngineError, engineErrorFromAnswer } from './errors.js';
import { readEngineResponse, toStreamEvents } from './response.js';
import { parseSse } from './sse.js';
import type { EngineResponse, EngineStreamEvent } from './types.js';

/** Options of {@link HttpEngine}. */
export interface HttpEngineOptions extends EngineClientOptions {
  /** The container's base URL. @default 'http://127.0.0.1:8080' */
  baseUrl?: string;
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
 * The production variant is a SageMaker notion, so `targetVariant` is not sent.
 * @example
 * const engine = new HttpEngine({ baseUrl: 'http://127.0.0.1:8080' });
 * const answer = await engine.generate({ prompt: 'Slogan:', max_new_tokens: 16 });
 */
export class HttpEngine extends EngineBase {
  readonly name = 'http';
  readonly baseUrl: string;
  private readonly invocationsUrl: string;

  constructor(options: HttpEngineOptions = {}) {
    super(options);
    this.baseUrl = (options.baseUrl ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
    this.invocationsUrl = `${this.baseUrl}/invocations`;
  }

  /** @inheritdoc */
  protected async sendOnce(attempt: Attempt): Promise<EngineResponse> {
    const response = await this.post(attempt, false);
    return readEngineResponse(await response.text(), attempt.callDeadlineMs);
  }

  /** @inheritdoc */
  protected async openStreamOnce(attempt: Attempt): Promise<AsyncIterable<EngineStreamEvent>> {
    const response = await this.post(attempt, true);
    if (!response.body) {
      throw new EngineError(502, 'bad_engine_response', 'engine stream has no body');
    }
    return toStreamEvents(parseSse(response.body), attempt.callDeadlineMs);
  }

  /** POSTs the request and returns the 2xx response, or throws the mapped engine error. */
  private async post(attempt: Attempt, stream: boolean): Promise<Response> {
    const { request, signal, deadlineMs, headerRequestId } = attempt;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
    };
    if (headerRequestId) headers['x-request-id'] = headerRequestId;
    const body = JSON.stringify({ ...request, stream, deadline_ms: deadlineMs });

    let response: Response;
    try {
      response = await fetch(this.invocationsUrl, { method: 'POST', headers, body, signal });
    } catch (err) {
      throw signal.aborted ? err : unreachable(err);
    }

    if (response.ok) return response;
    const text = await response.text();
    throw engineErrorFromAnswer(response.status, text, response.headers.get('retry-after'));
  }
}
