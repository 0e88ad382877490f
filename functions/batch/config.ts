/**
 * @module
 * Batch settings from the environment, shared by the Lambda entry, the local trigger and the CLI.
 */
import { S3Client } from '@aws-sdk/client-s3';

import type { BatchJobOptions } from './job.js';

/**
 * V8 flags of the batch Lambda (its `NODE_OPTIONS`). A job allocates fast but keeps little (about
 * 30 MB live), and V8 left to itself grows its heap far past that before it collects: a small young
 * generation and a capped old one keep a 1,000,000-line job under 256 MB of RSS.
 */
export const BATCH_NODE_OPTIONS = '--max-semi-space-size=2 --max-old-space-size=160';

/** Environment variables the batch function reads, with their meaning. */
export const BATCH_ENV = {
  BATCH_CONCURRENCY: 'briefs in the pipeline at once per job; default 8',
  BATCH_PART_MB: 'multipart part size of the outputs in MiB (at least 5); default 8',
  BATCH_MAX_LINE_BYTES: 'longest input line in bytes; default 1048576',
  BATCH_STOP_MARGIN_S: 'seconds before the Lambda deadline at which a job checkpoints; default 60',
  S3_ENDPOINT: 'an S3-compatible endpoint (local s3rver); unset uses AWS',
} as const;

function wholeNumber(
  env: NodeJS.ProcessEnv,
  name: keyof typeof BATCH_ENV,
  min: number,
): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;

  const value = /^\d+$/.test(raw) ? Number.parseInt(raw, 10) : Number.NaN;
  if (!(value >= min))
    throw new Error(
      `${name} must be a whole number of at least ${min}, got ${JSON.stringify(raw)}`,
    );
  return value;
}

/**
 * Job options from `BATCH_*` variables; unset ones keep the job's defaults.
 * @example batchJobOptionsFromEnv({ BATCH_CONCURRENCY: '16' }) // { concurrency: 16 }
 */
export function batchJobOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): BatchJobOptions {
  const options: BatchJobOptions = {};
  const concurrency = wholeNumber(env, 'BATCH_CONCURRENCY', 1);
  const partMb = wholeNumber(env, 'BATCH_PART_MB', 5);
  const maxLineBytes = wholeNumber(env, 'BATCH_MAX_LINE_BYTES', 1024);
  const stopMarginS = wholeNumber(env, 'BATCH_STOP_MARGIN_S', 1);
  if (concurrency !== undefined) options.concurrency = concurrency;
  if (partMb !== undefined) options.partBytes = partMb * 1024 * 1024;
  if (maxLineBytes !== undefined) options.maxLineBytes = maxLineBytes;
  if (stopMarginS !== undefined) options.stopMarginMs = stopMarginS * 1000;
  return options;
}

/**
 * An S3 client for a local S3-compatible server: path-style addressing, dummy credentials, and
 * only the endpoint overridden.
 * @example localS3ClientFor('http://127.0.0.1:4569')
 */
export function localS3ClientFor(endpoint: string, region = 'us-east-1'): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
}

/**
 * An S3 client for AWS, or for `S3_ENDPOINT` when set (path-style, as local servers need, with
 * dummy credentials unless the environment has real ones).
 */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.S3_ENDPOINT?.trim();
  if (endpoint === undefined || endpoint === '') return new S3Client({});

  const region = env.AWS_REGION ?? 'us-east-1';
  if (env.AWS_ACCESS_KEY_ID === undefined) return localS3ClientFor(endpoint, region);
  return new S3Client({ endpoint, forcePathStyle: true, region });
}
