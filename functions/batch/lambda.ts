/**
 * @module
 * The batch Lambda entry point: S3 notifications, directly or through SQS. The engine is the
 * SageMaker endpoint named by `SAGEMAKER_ENDPOINT_NAME`, or the container at `ENGINE_URL`; the
 * cache is Redis at `REDIS_URL`, or memory.
 */
import type { Context } from 'aws-lambda';

import { MemoryCacheStore, ReadThroughCache, RedisCacheStore } from '../../layers/cache/index.js';
import { HttpEngine, SageMakerEngine, type Engine } from '../../layers/engine-client/index.js';
import { createLogger } from '../../layers/observability/index.js';
import { batchJobOptionsFromEnv, s3ClientFromEnv } from './config.js';
import { createBatchHandler, type BatchHandler, type BatchHandlerResult } from './handler.js';
import { attributeLogger, createBatchPipeline } from './wiring.js';

const logger = createLogger('adcopy-batch');
const layerLogger = attributeLogger(logger);
let batchHandler: BatchHandler | undefined;

function engineFromEnv(env: NodeJS.ProcessEnv): Engine {
  const endpointName = env.SAGEMAKER_ENDPOINT_NAME?.trim();
  if (endpointName) return new SageMakerEngine({ endpointName, logger: layerLogger });
  return new HttpEngine({
    baseUrl: env.ENGINE_URL ?? 'http://127.0.0.1:8080',
    logger: layerLogger,
  });
}

function cacheFromEnv(env: NodeJS.ProcessEnv): ReadThroughCache {
  const url = env.REDIS_URL?.trim();
  const store = url
    ? new RedisCacheStore({ url, logger: layerLogger })
    : new MemoryCacheStore({ maxChars: 8_000_000 });
  return new ReadThroughCache({ store, logger: layerLogger });
}

/** Builds the handler once per Lambda environment, from the environment. */
function buildHandler(): BatchHandler {
  const env = process.env;
  const pipeline = createBatchPipeline({ engine: engineFromEnv(env), cache: cacheFromEnv(env) });
  return createBatchHandler({
    s3: s3ClientFromEnv(env),
    pipeline,
    logger,
    jobOptions: batchJobOptionsFromEnv(env),
  });
}

/**
 * The Lambda handler. For SQS it answers partial batch failures (messages whose job must resume);
 * for a direct S3 invocation it throws, so Lambda retries the event.
 */
export async function handler(event: unknown, context: Context): Promise<BatchHandlerResult> {
  logger.addContext(context);
  batchHandler ??= buildHandler();
  return batchHandler(event, context);
}
