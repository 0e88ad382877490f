/**
 * @module
 * `npm run batch -- --input <file|s3://bucket/key> [--out <dir|s3://bucket/prefix>]`: the batch
 * job on one machine, with a progress bar. It uses the engine at `ENGINE_URL` when set, otherwise
 * it starts the embedded engine (`MODEL_PATH`, or the project's dev model). Ctrl-C stops at a
 * checkpoint; the same command again resumes.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { Logger } from '@aws-lambda-powertools/logger';
import type { S3Client } from '@aws-sdk/client-s3';
import cliProgress from 'cli-progress';

import { DEV_MODEL_NAME, ensureDevModel } from '../../engine/devmodel/index.js';
import { engineOptionsFromEnv, RANDOM_WEIGHTS_NOTE, startEngine } from '../../engine/index.js';
import { HttpEngine, type Engine } from '../../layers/engine-client/index.js';
import { jobIdentity, type JobIdentity } from './checkpoint.js';
import { batchJobOptionsFromEnv, s3ClientFromEnv } from './config.js';
import { BATCH_OUTPUT_PREFIX } from './events.js';
import { runBatchJob, type JobOutcome, type JobProgress } from './job.js';
import {
  FileInputSource,
  FsJobStore,
  S3InputSource,
  S3JobStore,
  type InputSource,
  type JobStore,
} from './store.js';
import { attributeLogger, createBatchPipeline } from './wiring.js';

const USAGE =
  'usage: npm run batch -- --input <file|s3://bucket/key> [--out <dir|s3://bucket/prefix>] ' +
  '[--concurrency N]';

/** The command line, checked. */
interface CliArgs {
  input: string;
  out?: string;
  concurrency?: number;
}

/** Where the job reads and writes. */
interface JobPlace {
  job: JobIdentity;
  input: InputSource;
  store: JobStore;
}

function parseCliArgs(argv: string[]): CliArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      input: { type: 'string' },
      out: { type: 'string' },
      concurrency: { type: 'string' },
    },
    strict: true,
  });
  if (values.input === undefined || values.input === '')
    throw new Error(`--input is required\n${USAGE}`);

  const args: CliArgs = { input: values.input };
  if (values.out !== undefined) args.out = values.out;
  if (values.concurrency !== undefined) {
    if (!/^[1-9]\d{0,3}$/.test(values.concurrency)) {
      throw new Error(
        `--concurrency must be a whole number from 1 to 9999, got ${values.concurrency}`,
      );
    }
    args.concurrency = Number(values.concurrency);
  }
  return args;
}

/** Splits `s3://bucket/key` into its parts; undefined for anything else. */
function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}

function storeFor(out: string, s3: () => S3Client): JobStore {
  const target = parseS3Url(out);
  if (target === undefined) return new FsJobStore(resolve(out));

  const prefix = target.key === '' || target.key.endsWith('/') ? target.key : `${target.key}/`;
  return new S3JobStore(s3(), target.bucket, prefix);
}

async function placeJob(args: CliArgs, s3: () => S3Client): Promise<JobPlace> {
  const source = parseS3Url(args.input);
  if (source !== undefined) {
    if (source.key === '') throw new Error(`--input ${args.input} names no object`);
    const input = await S3InputSource.open(s3(), source);
    const job = jobIdentity({
      ...source,
      eTag: input.object.eTag,
      versionId: input.object.versionId,
    });
    const store =
      args.out === undefined
        ? new S3JobStore(s3(), source.bucket, `${BATCH_OUTPUT_PREFIX}${job.name}/`)
        : storeFor(args.out, s3);
    return { job, input, store };
  }

  // A local file's version is its size and modification time: an edited file is a new job.
  const path = resolve(args.input);
  const input = await FileInputSource.open(path);
  const job = jobIdentity({ path, eTag: `${input.size}-${Math.round(input.modifiedMs)}` });
  const store =
    args.out === undefined
      ? new FsJobStore(`${path.replace(/\.jsonl?$/i, '')}.out`)
      : storeFor(args.out, s3);
  return { job, input, store };
}

/** The engine at `ENGINE_URL`, or an embedded one started for this run. */
async function engineFor(logger: Logger): Promise<{ engine: Engine; close: () => Promise<void> }> {
  const url = process.env.ENGINE_URL?.trim();
  const clientLogger = attributeLogger(logger);
  if (url)
    return {
      engine: new HttpEngine({ baseUrl: url, logger: clientLogger }),
      close: async () => undefined,
    };

  let modelPath = process.env.MODEL_PATH;
  let modelId: string | undefined;
  if (!modelPath) {
    modelPath = await ensureDevModel();
    modelId = `${DEV_MODEL_NAME} (${RANDOM_WEIGHTS_NOTE})`;
    process.stderr.write(
      'ENGINE_URL and MODEL_PATH are unset: using the dev model, which has random ' +
        'weights and writes random text.\n',
    );
  }
  const running = await startEngine({
    ...engineOptionsFromEnv(),
    modelPath,
    ...(modelId === undefined ? {} : { modelId }),
    port: 0,
    emfIntervalMs: 0,
    logger: clientLogger,
  });
  return {
    engine: new HttpEngine({ baseUrl: running.url, logger: clientLogger }),
    close: () => running.close(),
  };
}

function progressBar(size: number): { update: (progress: JobProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    {
      format:
        'batch |{bar}| {percentage}% | {lines} lines | {results} results | {errors} errors | ' +
        'ETA {eta_formatted}',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(size, 1), 0, { lines: 0, results: 0, errors: 0 });
  return {
    update: (progress) =>
      bar.update(progress.bytes_done, {
        lines: progress.lines_done,
        results: progress.counts.results,
        errors: progress.counts.errors,
      }),
    stop: () => bar.stop(),
  };
}

function describeOutcome(outcome: JobOutcome, store: JobStore): string {
  switch (outcome.status) {
    case 'completed':
    case 'already_completed': {
      const { counts, copies } = outcome.report;
      const again =
        outcome.status === 'already_completed'
          ? ' (already done earlier: remove the output folder to run it again)'
          : '';
      return (
        `done${again}: ${counts.results} results, ${counts.errors} errors, ` +
        `${copies.copies_per_hour ?? 0} copies/hour\noutputs: ${store.location}`
      );
    }
    case 'busy':
      return `another run holds this job (${store.location}); try again when it ends`;
    case 'interrupted':
      return (
        `stopped (${outcome.reason}) after line ${outcome.progress.lines_done}; ` +
        'run the same command again to resume'
      );
  }
}

/** A second Ctrl-C within this time is the same one relayed by npm and tsx, not a new one. */
const RELAYED_SIGNAL_MS = 1000;
let firstInterruptAt: number | undefined;

/** First Ctrl-C: stop at a checkpoint. A later one: quit at once (the job resumes from its last). */
function stopOnInterrupt(stop: AbortController): void {
  const now = Date.now();
  if (firstInterruptAt === undefined) {
    firstInterruptAt = now;
    process.stderr.write(
      '\nstopping: finishing the lines in flight, then saving a checkpoint ' +
        '(Ctrl-C again to quit at once)\n',
    );
    stop.abort();
    return;
  }
  if (now - firstInterruptAt > RELAYED_SIGNAL_MS) process.exit(130);
}

async function main(): Promise<number> {
  const args = parseCliArgs(process.argv.slice(2));
  // Quiet by default so log lines do not tear the progress bar; POWERTOOLS_LOG_LEVEL overrides.
  const logger = new Logger({
    serviceName: 'adcopy-batch-cli',
    ...(process.env.POWERTOOLS_LOG_LEVEL ? {} : { logLevel: 'WARN' as const }),
  });
  let s3: S3Client | undefined;
  const s3Client = () => (s3 ??= s3ClientFromEnv());

  const { job, input, store } = await placeJob(args, s3Client);
  const { engine, close } = await engineFor(logger);
  const stop = new AbortController();
  process.on('SIGINT', () => stopOnInterrupt(stop));

  const bar = progressBar(input.size);
  try {
    const outcome = await runBatchJob({
      job,
      input,
      store,
      pipeline: createBatchPipeline({ engine }),
      logger,
      options: {
        ...batchJobOptionsFromEnv(),
        ...(args.concurrency === undefined ? {} : { concurrency: args.concurrency }),
        progressIntervalMs: 500,
        signal: stop.signal,
        onProgress: bar.update,
      },
    });
    bar.stop();
    process.stdout.write(`${describeOutcome(outcome, store)}\n`);
    return outcome.status === 'interrupted' || outcome.status === 'busy' ? 2 : 0;
  } finally {
    bar.stop();
    s3?.destroy();
    await close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`batch: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
