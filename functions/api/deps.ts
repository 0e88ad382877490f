/**
 * Builds the API's dependencies from the environment: the same wiring for Lambda and for
 * `npm start`, with the engine, cache and keys each replaceable by configuration.
 * @module
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import {
  MemoryCacheStore,
  ReadThroughCache,
  RedisCacheStore,
  type CacheStats,
  type CacheStore,
  type ListStore,
} from '../../layers/cache/index.js';
import { createCopyPipeline, type EngineBreaker } from '../../layers/copy/index.js';
import {
  CircuitBreaker,
  createEngineFromEnv,
  type Engine,
  type EngineEnv,
} from '../../layers/engine-client/index.js';
import { createLogger, fieldLogger, type Logger } from '../../layers/observability/index.js';
import { parseVariants, variantPicker } from './ab.js';
import type { ApiDeps } from './app.js';
import { HitReplay } from './hit-replay.js';
import { ApiMetrics } from './metrics.js';
import { parseStoredKeys, type StoredApiKey } from './middleware/api-key.js';
import { SessionHistory } from './sessions.js';

/** Configuration read from the environment (the README lists every variable). */
export interface ApiConfig {
  /** The engine: `ENGINE_URL` (default http://127.0.0.1:8080) or `SAGEMAKER_ENDPOINT_NAME`. */
  engine: EngineEnv;
  /** `REDIS_URL`: the shared cache and session store. @default none: in process memory */
  redisUrl?: string;
  /** `CORS_ORIGINS`, comma-separated. @default none */
  corsOrigins: string[];
  /** `MAX_BODY_BYTES`. @default 65536 */
  maxBodyBytes: number;
  /** `CACHE_TTL_SECONDS`. @default 3600 */
  cacheTtlSeconds: number;
  /**
   * `HIT_REPLAY_MS`: how long a cache hit of a byte-identical brief is answered from its
   * serialised form (see hit-replay.ts); 0 turns replays off. @default 10000
   */
  hitReplayMs: number;
  /** `API_KEYS`: `id:sha256-hex` entries. @default none: the API runs open */
  apiKeys: StoredApiKey[];
  /** `AB_VARIANTS`: `blue,green` or `blue:90,green:10`. @default none */
  abVariants: string;
  /** `RATE_LIMIT_PER_SECOND` and `RATE_LIMIT_BURST`. @default 5 and 20 */
  rateLimit: { perSecond: number; burst: number };
  /** `BREAKER_FAILURES` in a row open the circuit for `BREAKER_COOLDOWN_MS`. @default 5, 30000 */
  breaker: { failureThreshold: number; cooldownMs: number };
}

/** Reads {@link ApiConfig} from `env`, with the documented defaults. */
export function readApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const sageMaker = env.SAGEMAKER_ENDPOINT_NAME?.trim();
  return {
    engine: {
      ...(sageMaker
        ? { SAGEMAKER_ENDPOINT_NAME: sageMaker }
        : { ENGINE_URL: env.ENGINE_URL ?? `http://127.0.0.1:${env.ENGINE_PORT ?? '8080'}` }),
      SAGEMAKER_TARGET_VARIANT: env.SAGEMAKER_TARGET_VARIANT,
      AWS_REGION: env.AWS_REGION,
      ENGINE_DEADLINE_MS: env.ENGINE_DEADLINE_MS,
    },
    ...(env.REDIS_URL && { redisUrl: env.REDIS_URL }),
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    maxBodyBytes: positiveNumber(env, 'MAX_BODY_BYTES', 64 * 1024),
    cacheTtlSeconds: wholeNumber(env, 'CACHE_TTL_SECONDS', 3600, 1),
    hitReplayMs: wholeNumber(env, 'HIT_REPLAY_MS', 10_000, 0),
    apiKeys: parseStoredKeys(env.API_KEYS ?? ''),
    abVariants: env.AB_VARIANTS ?? '',
    rateLimit: {
      perSecond: positiveNumber(env, 'RATE_LIMIT_PER_SECOND', 5),
      burst: positiveNumber(env, 'RATE_LIMIT_BURST', 20),
    },
    breaker: {
      failureThreshold: positiveNumber(env, 'BREAKER_FAILURES', 5),
      cooldownMs: positiveNumber(env, 'BREAKER_COOLDOWN_MS', 30_000),
    },
  };
}

/** What {@link createApiDeps} may be handed instead of building it from the configuration. */
export interface ApiDepsOverrides {
  engine?: Engine;
  store?: CacheStore & ListStore;
  breaker?: EngineBreaker;
  logger?: Logger;
}

/** Everything `createApp` needs, for the given configuration. */
export function createApiDeps(
  config: ApiConfig,
  overrides: ApiDepsOverrides = {},
): ApiDeps & { cache: ReadThroughCache } {
  const logger = overrides.logger ?? createLogger('adcopy-api');
  const engine =
    overrides.engine ?? createEngineFromEnv(config.engine, { logger: fieldLogger(logger) });
  const store = overrides.store ?? createStore(config, logger);
  const cache = new ReadThroughCache({ store, logger: fieldLogger(logger) });
  const breaker = overrides.breaker ?? watchedBreaker(config, logger);
  const replay =
    config.hitReplayMs > 0
      ? new HitReplay({ ttlMs: Math.min(config.hitReplayMs, config.cacheTtlSeconds * 1000) })
      : undefined;
  const pipeline = createCopyPipeline({
    engine,
    cache,
    breaker,
    cacheTtlSeconds: config.cacheTtlSeconds,
  });

  if (config.apiKeys.length === 0) {
    logger.warn('no API keys configured: the API is open to anyone who can reach it');
  }
  return {
    logger,
    cache,
    pipeline,
    sessions: new SessionHistory(store),
    corsOrigins: config.corsOrigins,
    maxBodyBytes: config.maxBodyBytes,
    apiKeys: config.apiKeys,
    rateLimit: config.rateLimit,
    pickVariant: variantPicker(parseVariants(config.abVariants)),
    ...(replay && { replay }),
    metrics: new ApiMetrics({
      cacheStats: () => withReplayedHits(cache.stats(), replay?.hits ?? 0),
      // Lambda freezes the process between requests: publish before it does.
      flushEverySeconds: process.env.AWS_LAMBDA_FUNCTION_NAME ? 0 : 10,
    }),
    ready: () => engineAnswers(config.engine.ENGINE_URL),
  };
}

/**
 * The Lambda wiring: keys from the Secrets Manager secret named by `API_KEYS_SECRET_ARN` (its
 * string is `id:sha256` entries), everything else as {@link readApiConfig}.
 */
export async function createApiDepsFromEnv(env: NodeJS.ProcessEnv): Promise<ApiDeps> {
  const config = readApiConfig(env);
  if (env.API_KEYS_SECRET_ARN) {
    const secret = await new SecretsManagerClient({}).send(
      new GetSecretValueCommand({ SecretId: env.API_KEYS_SECRET_ARN }),
    );
    config.apiKeys = parseStoredKeys(secret.SecretString ?? '');
  }
  return createApiDeps(config);
}

/** Cache counters with the replayed hits counted as the hits they answer for. */
function withReplayedHits(stats: CacheStats, replayed: number): CacheStats {
  const hits = stats.hits + replayed;
  const lookups = hits + stats.misses;
  return { ...stats, hits, hitRatio: lookups === 0 ? 0 : hits / lookups };
}

function createStore(config: ApiConfig, logger: Logger): CacheStore & ListStore {
  if (!config.redisUrl) return new MemoryCacheStore();
  return new RedisCacheStore({ url: config.redisUrl, logger: fieldLogger(logger) });
}

function watchedBreaker(config: ApiConfig, logger: Logger): CircuitBreaker {
  const breaker = new CircuitBreaker(config.breaker);
  breaker.on('state', (change) => logger.warn('engine circuit changed', { ...change }));
  return breaker;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${text}"`);
  return value;
}

/** A whole number of at least `min` (time to live in whole seconds or milliseconds). */
function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be a whole number of at least ${min}, got "${text}"`);
  return value;
}

/** Readiness: the HTTP engine answers `/ping`; a SageMaker endpoint is taken as ready. */
async function engineAnswers(engineUrl: string | undefined): Promise<boolean> {
  if (!engineUrl) return true;
  try {
    const response = await fetch(`${engineUrl}/ping`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}
