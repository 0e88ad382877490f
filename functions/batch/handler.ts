/**
 * @module
 * The batch function's handler logic, free of Lambda globals: decode the event, run (or resume)
 * one job per input object, and report which SQS messages must come back.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context, SQSBatchResponse } from 'aws-lambda';

import { jobIdentity } from './checkpoint.js';
import { BATCH_OUTPUT_PREFIX, decodeBatchEvent, type BatchObjectRef } from './events.js';
import { runBatchJob, type BatchJobOptions, type BatchLogger, type JobOutcome } from './job.js';
import type { BatchPipeline } from './pipeline.js';
import { S3InputSource, S3JobStore } from './store.js';

/** What the handler is built from. */
export interface BatchHandlerDeps<TBrief> {
  s3: S3Client;
  pipeline: BatchPipeline<TBrief>;
  logger: BatchLogger;
  /** Job tuning; `remainingTimeMs` is filled from the Lambda context when there is one. */
  jobOptions?: BatchJobOptions;
}

/** What one input object came to in an invocation. */
export interface ObjectOutcome {
  bucket: string;
  key: string;
  /** Job status, or `missing` / `superseded` when the named object version is gone. */
  status: JobOutcome['status'] | 'missing' | 'superseded' | 'failed';
  job?: string;
  reason?: string;
}

/** The handler's answer: SQS partial batch failures, plus what happened per object. */
export type BatchHandlerResult = SQSBatchResponse & { objects: ObjectOutcome[] };

/** The handler `createBatchHandler` returns. */
export type BatchHandler = (
  event: unknown,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<BatchHandlerResult>;

/** Thrown for a direct S3 invocation whose job must run again (Lambda retries async events). */
export class BatchIncompleteError extends Error {
  override readonly name = 'BatchIncompleteError';

  constructor(readonly objects: ObjectOutcome[]) {
    super(
      `batch jobs incomplete: ${objects.map((o) => `${o.key} (${o.reason ?? o.status})`).join(', ')}`,
    );
  }
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null
    ? (error as { name?: string }).name
    : undefined;
}

/**
 * Builds the batch handler. With SQS it returns the messages to redeliver (jobs interrupted by the
 * deadline or an engine fault); a direct S3 invocation throws instead, so Lambda retries it.
 * Two deliveries of one object version in this process share one run.
 *
 * @example
 * const handler = createBatchHandler({ s3, pipeline, logger });
 * await handler(s3Event, context);
 */
export function createBatchHandler<TBrief>(deps: BatchHandlerDeps<TBrief>): BatchHandler {
  const running = new Map<string, Promise<ObjectOutcome>>();

  async function runObject(ref: BatchObjectRef, context?: Parameters<BatchHandler>[1]) {
    let input: S3InputSource;
    try {
      input = await S3InputSource.open(deps.s3, ref);
    } catch (error) {
      if (errorName(error) === 'NotFound' || errorName(error) === 'NoSuchKey') {
        return { bucket: ref.bucket, key: ref.key, status: 'missing' } satisfies ObjectOutcome;
      }
      throw error;
    }

    // Without versioning an overwrite replaces the bytes this event named; the newer upload
    // has its own event and job.
    if (ref.versionId === undefined && ref.eTag !== undefined && ref.eTag !== input.object.eTag) {
      return { bucket: ref.bucket, key: ref.key, status: 'superseded' } satisfies ObjectOutcome;
    }

    const { eTag, versionId } = input.object;
    const job = jobIdentity({ bucket: ref.bucket, key: ref.key, eTag, versionId });
    const store = new S3JobStore(deps.s3, ref.bucket, `${BATCH_OUTPUT_PREFIX}${job.name}/`);
    const remaining = context?.getRemainingTimeInMillis.bind(context);
    const options = {
      ...deps.jobOptions,
      ...(remaining === undefined ? {} : { remainingTimeMs: remaining }),
    };

    const outcome = await runBatchJob({
      job,
      input,
      store,
      pipeline: deps.pipeline,
      logger: deps.logger,
      options,
    });
    const result: ObjectOutcome = {
      bucket: ref.bucket,
      key: ref.key,
      status: outcome.status,
      job: job.name,
    };
    if (outcome.status === 'interrupted') result.reason = outcome.reason;
    return result;
  }

  async function runOnce(ref: BatchObjectRef, context?: Parameters<BatchHandler>[1]) {
    const key = `${ref.bucket}\u0000${ref.key}\u0000${ref.versionId ?? ref.eTag ?? ''}`;
    const current = running.get(key);
    if (current !== undefined) return current;

    const run = runObject(ref, context).catch((error: unknown): ObjectOutcome => {
      deps.logger.error('batch job failed', { key: ref.key, error: error as Error });
      return {
        bucket: ref.bucket,
        key: ref.key,
        status: 'failed',
        reason: (error as Error).message,
      };
    });
    running.set(key, run);
    try {
      return await run;
    } finally {
      running.delete(key);
    }
  }

  return async function batchHandler(event, context) {
    const objects: ObjectOutcome[] = [];
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    const incomplete: ObjectOutcome[] = [];

    for (const message of decodeBatchEvent(event)) {
      let messageFailed = false;
      for (const decision of message.decisions) {
        if ('skipped' in decision) {
          deps.logger.info('event record skipped', { ...decision.skipped });
          continue;
        }
        const outcome = await runOnce(decision.job, context);
        objects.push(outcome);
        if (outcome.status === 'interrupted' || outcome.status === 'failed') {
          messageFailed = true;
          incomplete.push(outcome);
        }
      }
      if (messageFailed && message.messageId !== undefined) {
        batchItemFailures.push({ itemIdentifier: message.messageId });
      }
    }

    const direct = incomplete.length > 0 && batchItemFailures.length === 0;
    if (direct) throw new BatchIncompleteError(incomplete);
    return { batchItemFailures, objects };
  };
}
