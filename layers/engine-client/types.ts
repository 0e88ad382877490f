/**
 * @module engine-client/types
 * TypeScript shapes of the engine wire contract (engine/PROTOCOL.md) and of the client interface
 * that the API and the batch job program against. Wire fields keep the protocol's snake_case.
 */

/** One chat turn; the engine renders turns with the model's own chat template. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A generation request: exactly one of `prompt` or `messages`, plus sampling parameters. */
export interface EngineRequest {
  /** Raw text; the engine never parses it for special tokens. */
  prompt?: string;
  /** Chat turns, rendered with the model's template. */
  messages?: ChatMessage[];
  /** @default 128 (engine side); over the engine limit is a 400. */
  max_new_tokens?: number;
  /** 0 is greedy. @default 0.8 (engine side) */
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  repetition_penalty?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  /** Makes sampling repeatable. */
  seed?: number;
  /** Generation ends before the first stop string, which is never returned. */
  stop?: string[];
  /** Candidates per request, 1..8. */
  n?: number;
  /** Phrases that can never be generated (the compliance terms). */
  bad_words?: string[];
  /** Output constrained to this JSON schema. */
  json_schema?: Record<string, unknown>;
  /** Set by the client itself: `generate` sends false, `stream` sends true. */
  stream?: boolean;
  /** Set by the client from the call's remaining deadline. */
  deadline_ms?: number;
}

/** Why one candidate stopped. */
export type FinishReason = 'stop' | 'length' | 'cancelled' | 'deadline';

/** One candidate text. */
export interface Generation {
  index: number;
  text: string;
  finish_reason: FinishReason;
  completion_tokens: number;
}

/** Token counts; `cached_prompt_tokens` were served from the engine's prefix cache. */
export interface EngineUsage {
  prompt_tokens: number;
  cached_prompt_tokens: number;
  completion_tokens: number;
}

/** Engine-side timings in milliseconds. */
export interface EngineTimings {
  queue_ms: number;
  ttft_ms: number;
  total_ms: number;
}

/** The engine's answer to one request. */
export interface EngineResponse {
  id: string;
  model: string;
  generations: Generation[];
  usage: EngineUsage;
  timings: EngineTimings;
  /**
   * The SageMaker production variant that answered. Not on the wire: the SageMaker client fills it
   * from `InvokedProductionVariant`; the HTTP client leaves it out.
   */
  invoked_variant?: string;
}

/** One event of a streamed generation: token pieces, then exactly one `done`. */
export type EngineStreamEvent =
  { type: 'token'; index: number; text: string } | { type: 'done'; response: EngineResponse };

/** Per-call options shared by every engine implementation. */
export interface CallOptions {
  /** Cancels the call (and the engine's work for it); the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Time budget in milliseconds for the whole call, retries and back-off included. Past it the call
   * fails with a 504 `EngineError`; the engine also gets the remainder as `deadline_ms`.
   * @default 30000 (the client's `defaultDeadlineMs`)
   */
  deadlineMs?: number;
  /** SageMaker production variant to invoke (A/B tests); ignored by the plain HTTP client. */
  targetVariant?: string;
  /** Correlates client and engine logs; sent as `x-request-id`. */
  requestId?: string;
}

/** The one interface the functions use to reach a model, whatever hosts it. */
export interface Engine {
  /** A short name for logs and responses, e.g. `http` or `sagemaker:adcopy-prod`. */
  readonly name: string;
  /** One request, one JSON answer. */
  generate(request: EngineRequest, options?: CallOptions): Promise<EngineResponse>;
  /** Token events as they are decoded, then one `done` event with the full response. */
  stream(request: EngineRequest, options?: CallOptions): AsyncIterable<EngineStreamEvent>;
}

/**
 * The logging methods the client needs; a Powertools `Logger` fits. Attributes never carry prompts
 * or API keys.
 */
export interface EngineLogger {
  debug(message: string, ...attributes: Array<Record<string, unknown>>): void;
  warn(message: string, ...attributes: Array<Record<string, unknown>>): void;
}

/** A logger that drops everything, for library use without one. */
export const silentLogger: EngineLogger = {
  debug: () => undefined,
  warn: () => undefined,
};
