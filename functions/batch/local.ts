/**
 * @module
 * The batch pipeline on one machine: a local S3-compatible server (s3rver) whose object-created
 * notifications, with keys URL-encoded as S3 encodes them, drive the same handler as the Lambda.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { S3Client } from '@aws-sdk/client-s3';
import S3rver, { type S3rverEvent } from 's3rver';

import type { ReadThroughCache } from '../../layers/cache/index.js';
import type { Engine } from '../../layers/engine-client/index.js';
import { localS3ClientFor } from './config.js';
import { encodeS3EventKey } from './events.js';
import { createBatchHandler } from './handler.js';
import type { BatchJobOptions, BatchLogger } from './job.js';
import { createBatchPipeline } from './wiring.js';

/** The local bucket batch inputs are dropped into. */
export const LOCAL_BUCKET = 'adcopy-local';

/** Options of {@link startLocalBatchTrigger}. */
export interface LocalBatchTriggerOptions {
  /** The engine client jobs generate with (e.g. `new HttpEngine({ baseUrl })`). */
  engine: Engine;
  logger: BatchLogger;
  /** Shared with the API when it runs in the same process. @default a small in-memory cache */
  cache?: ReadThroughCache;
  /** @default Number(process.env.S3_PORT) or 4569; 0 picks a free port */
  s3Port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Where s3rver keeps objects; kept across restarts so interrupted jobs resume. @default '.tmp/s3' */
  directory?: string;
  /** @default LOCAL_BUCKET */
  bucket?: string;
  jobOptions?: BatchJobOptions;
  /** Wait before a local "redelivery" of an interrupted job, as SQS would. @default 5000 */
  retryDelayMs?: number;
  /** Redeliveries of one event before it is given up (SQS's dead-letter queue). @default 10 */
  maxRedeliveries?: number;
}

/** A running local batch trigger. */
export interface LocalBatchTrigger {
  /** e.g. `http://127.0.0.1:4569`; set `S3_ENDPOINT` to it for the CLI and SDK clients. */
  endpoint: string;
  bucket: string;
  /** A client for the local server. */
  s3: S3Client;
  /** Resolves once every event received so far has been handled (tests, shutdown). */
  idle(): Promise<void>;
  /** Stops the server; running jobs checkpoint at their next line. */
  close(): Promise<void>;
}

/**
 * Starts s3rver on 127.0.0.1 with the `adcopy-local` bucket and runs the batch handler for every
 * object created under `batch/input/`. Jobs run one after another; an interrupted one is delivered
 * again after `retryDelayMs`, as SQS would.
 *
 * @example
 * const trigger = await startLocalBatchTrigger({ engine: new HttpEngine({ baseUrl }), logger });
 * // aws --endpoint-url http://127.0.0.1:4569 s3 cp briefs.jsonl s3://adcopy-local/batch/input/
 */
export async function startLocalBatchTrigger(
  options: LocalBatchTriggerOptions,
): Promise<LocalBatchTrigger> {
  const bucket = options.bucket ?? LOCAL_BUCKET;
  const directory = resolve(options.directory ?? '.tmp/s3');
  const host = options.host ?? '127.0.0.1';
  await mkdir(directory, { recursive: true });

  const server = new S3rver({
    address: host,
    port: options.s3Port ?? Number(process.env.S3_PORT ?? 4569),
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://${host}:${port}`;
  const s3 = localS3ClientFor(endpoint);

  const stop = new AbortController();
  const pipeline = createBatchPipeline({
    engine: options.engine,
    ...(options.cache ? { cache: options.cache } : {}),
  });
  const handler = createBatchHandler({
    s3,
    pipeline,
    logger: options.logger,
    jobOptions: { ...options.jobOptions, signal: stop.signal },
  });

  let queue: Promise<void> = Promise.resolve();
  const deliver = async (event: unknown, attempt: number): Promise<void> => {
    const failed = await handler(event).then(
      () => false,
      (error: unknown) => {
        options.logger.warn('local batch job incomplete', {
          error: (error as Error).message,
          attempt,
        });
        return true;
      },
    );
    const redeliveries = options.maxRedeliveries ?? 10;
    if (!failed || stop.signal.aborted || attempt > redeliveries) return;

    await sleep(options.retryDelayMs ?? 5000, undefined, { signal: stop.signal }).catch(
      () => undefined,
    );
    if (!stop.signal.aborted) await deliver(event, attempt + 1);
  };
  const onEvent = (event: S3rverEvent) => {
    // s3rver sends raw keys; S3 URL-encodes them, and the handler decodes as it must in AWS.
    const encoded = {
      Records: event.Records.map((record) => ({
        ...record,
        s3: {
          ...record.s3,
          object: { ...record.s3.object, key: encodeS3EventKey(record.s3.object.key) },
        },
      })),
    };
    queue = queue.then(() => deliver(encoded, 1));
  };
  server.on('event', onEvent);
  options.logger.info('local S3 with batch trigger', {
    endpoint,
    bucket,
    input_prefix: 'batch/input/',
  });

  return {
    endpoint,
    bucket,
    s3,
    idle: async () => {
      let seen: Promise<void>;
      do {
        seen = queue;
        await seen;
      } while (seen !== queue);
    },
    close: async () => {
      stop.abort();
      server.off('event', onEvent);
      await queue;
      s3.destroy();
      await server.close();
    },
  };
}
