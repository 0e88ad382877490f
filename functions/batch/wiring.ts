/**
 * @module
 * Builds the batch job's pipeline from the shared layers: the API's own brief validation and copy
 * pipeline over an engine client and a cache.
 */
import { MemoryCacheStore, ReadThroughCache } from '../../layers/cache/index.js';
import { createCopyPipeline, parseBrief, type Brief } from '../../layers/copy/index.js';
import type { Engine, EngineLogger } from '../../layers/engine-client/index.js';
import type { BatchLogger } from './job.js';
import type { BatchPipeline } from './pipeline.js';

/** The batch cache's memory cap, in characters of JSON: small, so a long job's memory stays flat. */
const BATCH_CACHE_MAX_CHARS = 8_000_000;

/** What the batch pipeline is built from. */
export interface BatchPipelineDeps {
  engine: Engine;
  /** Shared with the API when it runs in the same process. @default an in-memory cache of 8M chars */
  cache?: ReadThroughCache;
}

/**
 * The API's copy pipeline, as the batch job uses it. No circuit breaker is passed on purpose: a
 * breaker answers engine faults with template copy marked `degraded`, which a batch would write as
 * results; here an engine fault interrupts the job, which resumes when the engine is back.
 *
 * @example const pipeline = createBatchPipeline({ engine: new HttpEngine({ baseUrl }) });
 */
export function createBatchPipeline(deps: BatchPipelineDeps): BatchPipeline<Brief> {
  const cache =
    deps.cache ??
    new ReadThroughCache({ store: new MemoryCacheStore({ maxChars: BATCH_CACHE_MAX_CHARS }) });
  const copy = createCopyPipeline({ engine: deps.engine, cache });
  return {
    parseBrief,
    generate: (brief, options) => copy.generate(brief, options),
  };
}

/**
 * Adapts a Powertools logger to the `(message, attributes?)` shape the engine client and the
 * cache log through.
 */
export function attributeLogger(logger: BatchLogger): EngineLogger & BatchLogger {
  return {
    debug: (message: string, attributes?: Record<string, unknown>) =>
      logger.debug(message, attributes ?? {}),
    info: (message: string, attributes?: Record<string, unknown>) =>
      logger.info(message, attributes ?? {}),
    warn: (message: string, attributes?: Record<string, unknown>) =>
      logger.warn(message, attributes ?? {}),
    error: (message: string, attributes?: Record<string, unknown>) =>
      logger.error(message, attributes ?? {}),
  } as EngineLogger & BatchLogger;
}
