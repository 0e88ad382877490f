/**
 * @module
 * The engine's HTTP layer (SageMaker serving contract, PROTOCOL.md): validation, routing,
 * server-sent events and error mapping. It talks to the model only through {@link EngineCore}.
 */

import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';

import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';

import { BadWordsGuard } from './scheduler/bad-words.js';
import type { VocabularyIndex } from './scheduler/bad-words.js';
import {
  DrainingError,
  GenerationFailedError,
  QueueFullError,
} from './scheduler/scheduler.js';
import type { GenerationRequest, GenerationResult, Scheduler } from './scheduler/scheduler.js';
import type { EngineLogger } from './scheduler/types.js';
import {
  checkPromptFits,
  parseGenerateRequest,
  ValidationError,
} from './validation.js';
import type { EngineLimits, GenerateRequestBody } from './validation.js';
import { eventStreamBody, payloadPartMessage } from './sagemaker.js';
import type { EngineMetrics } from './metrics.js';

/** What the HTTP layer needs from the model side. */
export interface PromptTokenizer {
  tokenizePrompt(text: string): number[];
  tokenizeMessages(messages: GenerateRequestBody['messages'] & object): number[];
  compileJsonSchema(schema: object): Promise<unknown>;
}

/** Everything behind the routes. */
export interface EngineCore {
  modelId: string;
  limits: EngineLimits;
  scheduler: Scheduler;
  tokenizer: PromptTokenizer;
  vocabulary: VocabularyIndex;
  metrics: EngineMetrics;
  logger: EngineLogger;
  /** Most ms a streamed token waits to share a write (EngineOptions.streamFlushMs). */
  streamFlushMs: number;
}

/** The response body of a generation (PROTOCOL.md "Response"). */
export interface GenerateResponse {
  id: string;
  model: string;
  generations: Array<{ index: number; text: string; finish_reason: string;
    completion_tokens: number }>;
  usage: { prompt_tokens: number; cached_prompt_tokens: number; completion_tokens: number };
  timings: { queue_ms: number; ttft_ms: number; total_ms: number };
}

type ErrorType = 'validation' | 'payload_too_large' | 'unsupported_media_type' | 'queue_full' |
  'draining' | 'loading' | 'generation_failed';

const STATUS: Record<ErrorType, 400 | 413 | 415 | 429 | 503 | 500> = {
  validation: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  queue_full: 429,
  draining: 503,
  loading: 503,
  generation_failed: 500,
};

/** Seconds a client should wait after a 429 before retrying. */
const RETRY_AFTER_SECONDS = 1;

/** Largest request body, as TGI's default payload limit. */
const MAX_BODY_BYTES = 2_000_000;

/**
 * No tokenizer packs more characters than this into one token, so a longer text cannot fit the
 * context and is refused before the (costly) tokenisation.
 */
const MAX_CHARS_PER_TOKEN = 64;

function newRequestId(): string {
  return `gen_${randomBytes(9).toString('base64url')}`;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function toResponse(id: string, modelId: string, result: GenerationResult): GenerateResponse {
  const completion = result.generations.reduce((sum, g) => sum + g.completionTokens, 0);

  return {
    id,
    model: modelId,
    generations: result.generations.map((g) => ({
      index: g.index,
      text: g.text,
      finish_reason: g.finishReason,
      completion_tokens: g.completionTokens,
    })),
    usage: {
      prompt_tokens: result.promptTokens,
      cached_prompt_tokens: result.cachedPromptTokens,
      completion_tokens: completion,
    },
    timings: {
      queue_ms: round(result.timings.queueMs),
      ttft_ms: round(result.timings.ttftMs),
      total_ms: round(result.timings.totalMs),
    },
  };
}

/** Maps a failure to its wire type. */
function classify(error: unknown): { type: ErrorType; message: string } {
  if (error instanceof MediaTypeError) {
    return { type: 'unsupported_media_type', message: error.message };
  }
  if (error instanceof ValidationError) return { type: 'validation', message: error.message };
  if (error instanceof QueueFullError) return { type: 'queue_full', message: error.message };
  if (error instanceof DrainingError) return { type: 'draining', message: error.message };
  if (error instanceof GenerationFailedError) {
    return { type: 'generation_failed', message: `generation failed: ${error.message}` };
  }
  return { type: 'generation_failed', message: 'generation failed' };
}

function errorResponse(c: Context, type: ErrorType, message: string): Response {
  if (type === 'queue_full') c.header('Retry-After', String(RETRY_AFTER_SECONDS));
  return c.json({ error: message, error_type: type }, STATUS[type]);
}

/** A small LRU of bad-words guards: the API sends the same compliance list again and again. */
class GuardCache {
  readonly #guards = new Map<string, BadWordsGuard>();

  constructor(readonly vocabulary: VocabularyIndex, readonly capacity = 32) {}

  get(phrases: readonly string[]): BadWordsGuard | undefined {
    if (phrases.length === 0) return undefined;

    const key = JSON.stringify([...phrases].sort());
    let guard = this.#guards.get(key);
    if (guard) this.#guards.delete(key);
    else guard = new BadWordsGuard(this.vocabulary, phrases);

    this.#guards.set(key, guard);
    if (this.#guards.size > this.capacity) {
      this.#guards.delete(this.#guards.keys().next().value as string);
    }

    return guard;
  }
}

/** A validated request turned into what the scheduler takes (minus callbacks and signal). */
async function prepare(core: EngineCore, guards: GuardCache, json: unknown) {
  const body = parseGenerateRequest(json, core.limits);

  const characters = body.prompt?.length ??
    (body.messages ?? []).reduce((sum, message) => sum + message.content.length, 0);
  if (characters > core.limits.contextSize * MAX_CHARS_PER_TOKEN) {
    throw new ValidationError(`prompt: ${characters} characters cannot fit the context of ` +
      `${core.limits.contextSize} tokens`);
  }

  const promptTokens = body.messages
    ? core.tokenizer.tokenizeMessages(body.messages)
    : core.tokenizer.tokenizePrompt(body.prompt as string);
  checkPromptFits(promptTokens.length, body.max_new_tokens, core.limits);

  let grammar: unknown;
  if (body.json_schema) {
    try {
      grammar = await core.tokenizer.compileJsonSchema(body.json_schema);
    } catch (error) {
      throw new ValidationError(`json_schema: ${(error as Error).message}`);
    }
  }

  const request: GenerationRequest = {
    promptTokens,
    maxNewTokens: body.max_new_tokens,
    n: body.n,
    sampling: {
      temperature: body.temperature,
      topP: body.top_p,
      topK: body.top_k,
      minP: body.min_p,
      repetitionPenalty: body.repetition_penalty,
      presencePenalty: body.presence_penalty,
      frequencyPenalty: body.frequency_penalty,
      seed: body.seed,
      logitBias: body.logit_bias && new Map(Object.entries(body.logit_bias)
        .map(([token, bias]) => [Number(token), bias])),
    },
    stop: body.stop,
    ignoreEos: body.ignore_eos,
    badWords: guards.get(body.bad_words),
    grammar,
    deadlineMs: body.deadline_ms,
  };

  return { body, request };
}

/** A body that is not declared as JSON: it is refused rather than read as if it were. */
class MediaTypeError extends Error {
  override readonly name = 'MediaTypeError';
}

/** `application/json` or a `+json` type, in UTF-8 when a charset is named. */
function assertJsonContentType(header: string | undefined): void {
  const [mediaType = '', ...params] = (header ?? '').split(';')
    .map((part) => part.trim().toLowerCase());
  const isJson = mediaType === 'application/json' ||
    /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
  const charset = params.find((param) => param.startsWith('charset='))?.slice('charset='.length);
  if (!isJson || (charset && !['utf-8', 'utf8', '"utf-8"'].includes(charset))) {
    throw new MediaTypeError(`Content-Type: send application/json (UTF-8), got ` +
      `${header ? JSON.stringify(header) : 'none'}`);
  }
}

async function readJson(c: Context): Promise<unknown> {
  assertJsonContentType(c.req.header('content-type'));
  try {
    return await c.req.json();
  } catch {
    throw new ValidationError('body: not valid JSON');
  }
}

/**
 * Builds the engine's Hono app. It answers at once: until `loaded()` returns the core, `/ping`
 * and generation requests get 503 `loading`, as SageMaker expects while the model loads.
 * @example
 * let core: EngineCore | undefined;
 * const app = createEngineApp(() => core);
 * serve({ fetch: app.fetch, port: 8080 });
 * core = await loadCore();
 */
export function createEngineApp(loaded: () => EngineCore | undefined): Hono {
  const app = new Hono();
  let guards: GuardCache | undefined;

  app.use(async (c, next) => {
    const requestId = c.req.header('x-request-id') ?? newRequestId();
    c.header('x-request-id', requestId);
    await next();
    c.header('x-request-id', requestId);
  });

  app.get('/ping', (c) => {
    const core = loaded();
    if (!core) return errorResponse(c, 'loading', 'the model is loading');
    if (core.scheduler.draining) return errorResponse(c, 'draining', 'the engine is draining');
    return c.json({ status: 'ok', model: core.modelId });
  });

  app.get('/metrics', async (c) => {
    const core = loaded();
    if (!core) return errorResponse(c, 'loading', 'the model is loading');
    c.header('Content-Type', core.metrics.contentType);
    return c.body(await core.metrics.render());
  });

  const invoke = (mode: 'json' | 'event-stream') => async (c: Context) => {
    const requestId = c.res.headers.get('x-request-id') ?? newRequestId();
    const core = loaded();
    if (!core) return errorResponse(c, 'loading', 'the model is loading');
    guards ??= new GuardCache(core.vocabulary);

    let prepared: Awaited<ReturnType<typeof prepare>>;
    try {
      prepared = await prepare(core, guards, await readJson(c));
    } catch (error) {
      const { type, message } = classify(error);
      core.metrics.countFailure(type);
      return errorResponse(c, type, message);
    }

    if (mode === 'event-stream') return eventStream(c, core, requestId, prepared.request);
    if (prepared.body.stream) return sse(c, core, requestId, prepared.request);
    return whole(c, core, requestId, prepared.request);
  };

  app.use('/invocations', limitBody(loaded));
  app.use('/endpoints/:name/*', limitBody(loaded));
  app.post('/invocations', invoke('json'));
  app.post('/endpoints/:name/invocations', invoke('json'));
  app.post('/endpoints/:name/invocations-response-stream', invoke('event-stream'));

  return app;
}

function limitBody(loaded: () => EngineCore | undefined) {
  return bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => {
      loaded()?.metrics.countFailure('payload_too_large');
      return errorResponse(c, 'payload_too_large',
        `body: larger than the limit of ${MAX_BODY_BYTES} bytes`);
    },
  });
}

async function whole(c: Context, core: EngineCore, id: string, request: GenerationRequest) {
  let result: GenerationResult;
  try {
    result = await core.scheduler.submit({ ...request, signal: c.req.raw.signal });
  } catch (error) {
    const { type, message } = classify(error);
    core.metrics.countFailure(type);
    return errorResponse(c, type, message);
  }

  logSummary(core, id, result);
  return c.json(toResponse(id, core.modelId, result));
}

function logSummary(core: EngineCore, id: string, result: GenerationResult): void {
  core.logger.info('generation finished', {
    request_id: id,
    prompt_tokens: result.promptTokens,
    cached_prompt_tokens: result.cachedPromptTokens,
    completion_tokens: result.generations.reduce((sum, g) => sum + g.completionTokens, 0),
    finish_reasons: result.generations.map((g) => g.finishReason),
    queue_ms: round(result.timings.queueMs),
    ttft_ms: round(result.timings.ttftMs),
    total_ms: round(result.timings.totalMs),
  });
}

/** Frames written as server-sent events, the same bytes for both streaming paths. */
function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A running streamed generation: its frames as they come, and how to cancel it. */
interface FrameStream {
  frames: AsyncGenerator<string>;
  cancel(): void;
}

/**
 * Starts a request and turns its text into server-sent-event frames (tokens, then `done` or
 * `error`); answers the error instead when the request cannot even be queued.
 */
function startFrames(c: Context, core: EngineCore, id: string, request: GenerationRequest):
  FrameStream | Response {
  const abort = new AbortController();
  c.req.raw.signal.addEventListener('abort', () => abort.abort(), { once: true });
  const pending: string[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  // Tokens after the first wait up to streamFlushMs to share one write: each write is a system
  // call here and a wake-up of the reader (and on SageMaker one PayloadPart); within a few
  // milliseconds no reader can tell.
  let flushTimer: NodeJS.Timeout | undefined;
  let wroteFirstToken = false;
  const flushSoon = () => {
    if (!wroteFirstToken || core.streamFlushMs === 0) {
      wroteFirstToken = true;
      wake?.();
    } else {
      flushTimer ??= setTimeout(() => {
        flushTimer = undefined;
        wake?.();
      }, core.streamFlushMs);
    }
  };

  let result: Promise<GenerationResult>;
  try {
    result = core.scheduler.submit({
      ...request,
      signal: abort.signal,
      onText: (index, text) => {
        pending.push(sseFrame('token', { index, text }));
        flushSoon();
      },
    });
  } catch (error) {
    const { type, message } = classify(error);
    core.metrics.countFailure(type);
    return errorResponse(c, type, message);
  }

  result.then(
    (done) => {
      logSummary(core, id, done);
      pending.push(sseFrame('done', toResponse(id, core.modelId, done)));
    },
    (error: unknown) => {
      const { type, message } = classify(error);
      core.metrics.countFailure(type);
      pending.push(sseFrame('error', { error: message, error_type: type }));
    },
  ).finally(() => {
    finished = true;
    clearTimeout(flushTimer);
    wake?.();
  });

  async function* frames(): AsyncGenerator<string> {
    while (!finished || pending.length > 0) {
      if (pending.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      yield pending.splice(0).join('');
    }
  }

  return { frames: frames(), cancel: () => abort.abort() };
}

/**
 * Writes frames straight to Node's response: web streams cost several promise hops per write,
 * which at thousands of tokens a second took the event loop from the decode steps.
 */
async function writeToNode(outgoing: ServerResponse, headers: Record<string, string>,
  frames: AsyncGenerator<string>, encode: (frame: string) => Uint8Array | string,
  cancel: () => void): Promise<void> {
  outgoing.writeHead(200, headers);
  outgoing.once('close', () => {
    if (!outgoing.writableFinished) cancel();
  });

  for await (const frame of frames) {
    if (outgoing.destroyed) break;
    if (!outgoing.write(encode(frame))) {
      await new Promise((resolve) => {
        outgoing.once('drain', resolve);
        outgoing.once('close', resolve);
      });
    }
  }
  outgoing.end();
}

/** Node's response behind this request, when served by @hono/node-server. */
function nodeResponse(c: Context): ServerResponse | undefined {
  return (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
}

function sse(c: Context, core: EngineCore, id: string, request: GenerationRequest) {
  const started = startFrames(c, core, id, request);
  if (started instanceof Response) return started;

  const outgoing = nodeResponse(c);
  if (outgoing) {
    writeToNode(outgoing, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache',
      'x-request-id': id }, started.frames, (frame) => frame, started.cancel)
      .catch(() => started.cancel());
    return RESPONSE_ALREADY_SENT;
  }

  return streamSSE(c, async (stream) => {
    stream.onAbort(started.cancel);
    for await (const frame of started.frames) await stream.write(frame);
  });
}

function eventStream(c: Context, core: EngineCore, id: string, request: GenerationRequest) {
  const started = startFrames(c, core, id, request);
  if (started instanceof Response) return started;

  const headers = {
    'Content-Type': 'application/vnd.amazon.eventstream',
    'X-Amzn-SageMaker-Content-Type': 'text/event-stream',
    'x-request-id': id,
  };
  const outgoing = nodeResponse(c);
  if (outgoing) {
    const encoder = new TextEncoder();
    writeToNode(outgoing, headers, started.frames,
      (frame) => payloadPartMessage(encoder.encode(frame)), started.cancel)
      .catch(() => started.cancel());
    return RESPONSE_ALREADY_SENT;
  }

  return new Response(eventStreamBody(started.frames, started.cancel), { headers });
}
