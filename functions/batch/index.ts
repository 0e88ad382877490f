/**
 * @module batch
 * S3-triggered batch generation: events, the streaming reader, resumable jobs, the handler, the
 * local trigger and the CLI. Others use it only through these exports.
 */
export {
  BATCH_INPUT_PREFIX,
  BATCH_OUTPUT_PREFIX,
  decodeBatchEvent,
  decodeS3EventKey,
  encodeS3EventKey,
  type BatchObjectRef,
  type DecodedMessage,
  type RecordDecision,
  type SkippedRecord,
} from './events.js';
export {
  DEFAULT_MAX_LINE_BYTES,
  splitLines,
  type InputLine,
  type LineSplitOptions,
} from './lines.js';
export { JOB_FILES, jobIdentity, type Checkpoint, type JobIdentity } from './checkpoint.js';
export {
  runBatchJob,
  type BatchJobDeps,
  type BatchJobOptions,
  type BatchLogger,
  type JobOutcome,
  type JobProgress,
  type JobReport,
} from './job.js';
export { DEFAULT_PART_BYTES, MIN_PART_BYTES } from './output.js';
export {
  classifyFailure,
  type BatchPipeline,
  type BriefIssue,
  type FailureKind,
} from './pipeline.js';
export {
  FileInputSource,
  FsJobStore,
  S3InputSource,
  S3JobStore,
  type InputSource,
  type JobStore,
} from './store.js';
export {
  BatchIncompleteError,
  createBatchHandler,
  type BatchHandler,
  type BatchHandlerDeps,
  type BatchHandlerResult,
  type ObjectOutcome,
} from './handler.js';
export {
  BATCH_ENV,
  BATCH_NODE_OPTIONS,
  batchJobOptionsFromEnv,
  localS3ClientFor,
  s3ClientFromEnv,
} from './config.js';
export { attributeLogger, createBatchPipeline, type BatchPipelineDeps } from './wiring.js';
export {
  LOCAL_BUCKET,
  startLocalBatchTrigger,
  type LocalBatchTrigger,
  type LocalBatchTriggerOptions,
} from './local.js';
