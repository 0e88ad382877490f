/**
 * The copy pipeline shared by the API and the batch job: brief compliance, cache, prompt, engine,
 * then per-variant extraction, compliance, channel fit and de-duplication, with bounded
 * regeneration for what fails.
 * @module
 */
import { cacheKey, type JsonValue, type ReadThroughCache } from '../cache/index.js';
import { blockTermsFor, checkText } from '../compliance/index.js';
import {
  EngineError,
  type Engine,
  type EngineRequest,
  type EngineResponse,
} from '../engine-client/index.js';
import { newAnswerId, roundMs, type CopyResponse, type TokenListener } from './answer.js';
import type { Brief, FieldIssue } from './brief.js';
import { outputSchema, tokenBudget } from './channel-format.js';
import { BriefRejectedError } from './errors.js';
import { degradedAnswer } from './fallback.js';
import { steer } from './feedback.js';
import { buildMessages, type RewriteContext } from './prompt.js';
import { Selection, shrinkBudget } from './selection.js';
import { StreamGuard } from './stream-guard.js';

/** Per-call options of {@link CopyPipeline.generate}. */
export interface GenerateOptions {
  requestId?: string;
  signal?: AbortSignal;
  /** The production variant (A/B) that should answer; part of the cache key. */
  targetVariant?: string;
  /** Receives tokens as they are generated; the engine is then called in streaming mode. */
  onToken?: TokenListener;
  /** Feedback on earlier variants of a session. Rewrites are never cached. */
  rewrite?: RewriteContext;
}

/**
 * The engine's health as the pipeline needs it (the engine client's `CircuitBreaker` fits):
 * `begin` throws while the engine is known to fail, and each admitted call reports how it ended.
 */
export interface EngineBreaker {
  begin(): { succeed(): void; fail(error: unknown): void; abandon(): void };
}

/** Dependencies of {@link createCopyPipeline}. */
export interface CopyPipelineDeps {
  engine: Engine;
  cache: ReadThroughCache;
  /** When given and open, briefs are answered with template copy flagged `degraded`. */
  breaker?: EngineBreaker;
  /** @default 3600 */
  cacheTtlSeconds?: number;
  /** Engine calls per brief, the first included. @default 3 */
  maxAttempts?: number;
  /** Deadline of each engine call. @default 30000 */
  engineDeadlineMs?: number;
}

/** Turns briefs into checked copy variants. */
export interface CopyPipeline {
  generate(brief: Brief, options?: GenerateOptions): Promise<CopyResponse>;
}

// Bump when prompts or post-processing change, so old cached answers are not served.
const CACHE_NAMESPACE = 'copy:v2';
/** Candidates the engine writes per call at most (its `n` limit). */
const ENGINE_MAX_CANDIDATES = 8;
const SAMPLING = { temperature: 0.9, top_p: 0.95, repetition_penalty: 1.1 } as const;

/**
 * Builds the pipeline.
 *
 * @example
 * const pipeline = createCopyPipeline({ engine: new HttpEngine({ baseUrl }), cache });
 * const answer = await pipeline.generate(brief, { requestId });
 */
export function createCopyPipeline(deps: CopyPipelineDeps): CopyPipeline {
  const ttlSeconds = deps.cacheTtlSeconds ?? 3600;

  return {
    async generate(brief, options = {}) {
      const started = performance.now();

      if (options.rewrite) {
        assertLawfulBrief(brief);
        const { feedback, earlierVariants } = options.rewrite;
        const steering = steer(brief, feedback, earlierVariants);
        const rewrite = { feedback: steering.instruction, earlierVariants };
        return finish(await produce(steering.brief, { ...options, rewrite }, deps), brief, started);
      }

      const key = cacheKey(CACHE_NAMESPACE, {
        brief: cacheableBrief(brief),
        engine: deps.engine.name,
        variant: options.targetVariant ?? null,
      });
      const load = () =>
        deps.cache.getOrLoad(
          key,
          // Checked on a miss only: an unlawful brief never reaches the cache, so a hit is lawful.
          async () => {
            assertLawfulBrief(brief);
            return (await produce(brief, options, deps)) as unknown as JsonValue;
          },
          { ttlSeconds, shouldStore: (answer) => isStorable(answer as unknown as CopyResponse) },
        );
      const { value, cached } = await load().catch((error: unknown) => {
        // Joined a flight whose own caller went away: this caller is still here, so try afresh.
        if (isAbort(error) && !options.signal?.aborted) return load();
        throw error;
      });

      const answer = value as unknown as CopyResponse;
      // A hit costs no engine work; its usage says so rather than repeating the first request's.
      const usage = cached ? NO_USAGE : answer.usage;
      return finish({ ...answer, id: newAnswerId(), cached, usage }, brief, started);
    },
  };
}

/** The answer as this caller sees it: its own ids and its own total time. */
function finish(answer: CopyResponse, brief: Brief, started: number): CopyResponse {
  return {
    ...answer,
    ...(brief.id !== undefined && { briefId: brief.id }),
    ...(brief.sessionId !== undefined && { sessionId: brief.sessionId }),
    timings: { ...answer.timings, totalMs: roundMs(performance.now() - started) },
  };
}

const NO_USAGE = { promptTokens: 0, cachedPromptTokens: 0, completionTokens: 0, engineCalls: 0 };

/** Only complete, engine-made, lawful answers are worth serving again (case 23). */
function isStorable(answer: CopyResponse): boolean {
  return (
    !answer.degraded &&
    !answer.incomplete &&
    answer.variants.every((variant) => variant.compliance.passed)
  );
}

/** The brief without what identifies the caller, so equal briefs share an entry. */
function cacheableBrief(brief: Brief): Omit<Brief, 'id' | 'sessionId'> {
  const { id: _id, sessionId: _session, ...rest } = brief;
  return rest;
}

/**
 * Throws {@link BriefRejectedError} (a 422) when the brief's own keywords, selling points or
 * required terms are unlawful. The pipeline runs it on a cache miss, before any engine call; a
 * streaming route runs it before it opens its stream, so the refusal is a plain 422.
 */
export function assertLawfulBrief(brief: Brief): void {
  const fields: Array<[string, string[] | undefined]> = [
    ['keywords', brief.keywords],
    ['features', brief.features],
    ['brandVoice.requiredTerms', brief.brandVoice?.requiredTerms],
  ];
  const terms: string[] = [];
  const issues: FieldIssue[] = [];

  for (const [field, values] of fields) {
    values?.forEach((value, index) => {
      const blocking = checkText(value, { language: brief.language }).violations.filter(
        (violation) => violation.severity === 'block',
      );
      for (const violation of blocking) {
        terms.push(violation.term);
        issues.push({
          path: `${field}[${index}]`,
          message: `"${violation.term}": ${violation.reason}`,
        });
      }
    });
  }
  if (terms.length > 0) throw new BriefRejectedError([...new Set(terms)], issues);
}

/**
 * Generates, checks and, within the attempt budget, regenerates until enough variants pass.
 * While the breaker is open (the engine failed repeatedly) the answer is template copy flagged
 * `degraded`; a single engine fault is the caller's error to map (502/503/504).
 */
async function produce(
  brief: Brief,
  options: GenerateOptions,
  deps: CopyPipelineDeps,
): Promise<CopyResponse> {
  if (!deps.breaker) return generateChecked(brief, options, deps);

  let call: ReturnType<EngineBreaker['begin']>;
  try {
    call = deps.breaker.begin();
  } catch {
    return degradedAnswer(brief, options.targetVariant ?? 'default');
  }

  try {
    const answer = await generateChecked(brief, options, deps);
    call.succeed();
    return answer;
  } catch (error) {
    if (options.signal?.aborted) call.abandon();
    else call.fail(error);
    throw error;
  }
}

async function generateChecked(
  brief: Brief,
  options: GenerateOptions,
  deps: CopyPipelineDeps,
): Promise<CopyResponse> {
  const messages = buildMessages(brief, options.rewrite);
  const session = new Selection(brief, options.rewrite?.earlierVariants ?? []);
  const bannedWords = new Set([
    ...blockTermsFor(brief.language),
    ...(brief.brandVoice?.bannedTerms ?? []),
  ]);
  const totals = {
    promptTokens: 0,
    cachedPromptTokens: 0,
    completionTokens: 0,
    engineCalls: 0,
    engineMs: 0,
  };
  const jsonSchema = outputSchema(brief);
  let maxNewTokens = tokenBudget(brief);
  let model = deps.engine.name;
  let answeredBy = options.targetVariant;

  const guard = options.onToken && new StreamGuard(brief, options.onToken, Boolean(jsonSchema));
  // Ten variants take two calls of at most eight candidates before any regeneration.
  const calls = (deps.maxAttempts ?? 3) + Math.ceil(brief.variants / ENGINE_MAX_CANDIDATES) - 1;

  for (let attempt = 0; attempt < calls && session.missing() > 0; attempt += 1) {
    const request: EngineRequest = {
      messages,
      n: Math.min(session.missing(), ENGINE_MAX_CANDIDATES),
      max_new_tokens: maxNewTokens,
      bad_words: [...bannedWords],
      ...(jsonSchema && { json_schema: jsonSchema }),
      ...SAMPLING,
      ...(brief.seed !== undefined && { seed: brief.seed + attempt }),
    };
    const response = await callEngine(deps, request, options, attempt, guard);
    model = response.model;
    answeredBy = response.invoked_variant ?? answeredBy;
    addUsage(totals, response);

    for (const generation of response.generations) {
      const outcome = session.consider(generation.text);
      guard?.finish(attempt, generation.index, outcome.accepted);
      outcome.violations?.forEach((violation) => bannedWords.add(violation.term));
      // Structured fields are capped by their schema; only plain text needs a tighter budget.
      if (outcome.tooLong && !jsonSchema) {
        maxNewTokens = shrinkBudget(maxNewTokens, generation.text, brief);
      }
    }
  }

  const { engineMs, ...usage } = totals;
  return {
    id: newAnswerId(),
    model,
    productionVariant: answeredBy ?? 'default',
    cached: false,
    degraded: false,
    language: brief.language,
    channel: brief.channel,
    strategy: brief.strategy,
    requested: brief.variants,
    incomplete: session.missing() > 0,
    variants: session.accepted,
    rejected: session.rejected,
    usage,
    timings: { totalMs: 0, engineMs: roundMs(engineMs) },
  };
}

async function callEngine(
  deps: CopyPipelineDeps,
  request: EngineRequest,
  options: GenerateOptions,
  attempt: number,
  guard: StreamGuard | undefined,
): Promise<EngineResponse> {
  const callOptions = {
    deadlineMs: deps.engineDeadlineMs ?? 30_000,
    ...(options.signal && { signal: options.signal }),
    ...(options.requestId && { requestId: options.requestId }),
    ...(options.targetVariant && { targetVariant: options.targetVariant }),
  };
  if (!guard) return deps.engine.generate(request, callOptions);

  for await (const event of deps.engine.stream(request, callOptions)) {
    if (event.type === 'done') return event.response;
    guard.push(attempt, event.index, event.text);
  }
  throw new EngineError(502, 'stream_ended', 'the engine stream ended without a final answer');
}

function addUsage(
  totals: {
    promptTokens: number;
    cachedPromptTokens: number;
    completionTokens: number;
    engineCalls: number;
    engineMs: number;
  },
  response: EngineResponse,
): void {
  totals.promptTokens += response.usage.prompt_tokens;
  totals.cachedPromptTokens += response.usage.cached_prompt_tokens;
  totals.completionTokens += response.usage.completion_tokens;
  totals.engineCalls += 1;
  totals.engineMs += response.timings.total_ms;
}

function isAbort(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'AbortError' ||
      error.name === 'TimeoutError' ||
      (error instanceof EngineError && error.reason === 'cancelled'))
  );
}
