/**
 * @module
 * Turns what Lambda hands the batch function (S3 notifications, directly or wrapped in SQS messages)
 * into the list of input objects to process, with keys decoded the way S3 encoded them.
 */
import { z } from 'zod';

/** Where batch inputs live; anything else (the job's own outputs included) is ignored. */
export const BATCH_INPUT_PREFIX = 'batch/input/';

/** Where a job's outputs go, under its job name. */
export const BATCH_OUTPUT_PREFIX = 'batch/output/';

/** One input object named by an S3 event, with its key decoded. */
export interface BatchObjectRef {
  bucket: string;
  /** The object's real key: `+` decoded to a space and `%XX` escapes to their characters. */
  key: string;
  /** The ETag without quotes; S3 multipart ETags keep their `-N` suffix. */
  eTag?: string;
  versionId?: string;
  /** Orders events for one key; kept for logs only. */
  sequencer?: string;
  size?: number;
  eventName: string;
}

/** Why a record in an event was not turned into a job. */
export type SkippedRecord = {
  reason: 'not_object_created' | 'outside_input_prefix' | 'undecodable_key' | 'not_s3_record';
  eventName?: string;
  key?: string;
};

/** What one event record means for the batch function. */
export type RecordDecision = { job: BatchObjectRef } | { skipped: SkippedRecord };

/** One SQS message and the S3 records it carries. */
export interface DecodedMessage {
  /** The SQS message id, or undefined when S3 invoked the function directly. */
  messageId?: string;
  decisions: RecordDecision[];
}

const s3RecordSchema = z.object({
  eventName: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
      size: z.number().optional(),
    }),
  }),
});

type S3Record = z.infer<typeof s3RecordSchema>;

/**
 * Decodes an S3 event object key: S3 form-encodes keys in notifications, so `+` is a space and
 * `%2B` a plus.
 *
 * @example decodeS3EventKey('batch/input/spring+launch.jsonl') // 'batch/input/spring launch.jsonl'
 */
export function decodeS3EventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, '%20'));
}

/**
 * Encodes a key the way S3 does in event notifications (the inverse of `decodeS3EventKey`); the
 * local trigger uses it so local events look like AWS ones.
 *
 * @example encodeS3EventKey('batch/input/春季 新品+.jsonl') // 'batch/input/%E6%98%A5...+%2B.jsonl'
 */
export function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%20/g, '+'))
    .join('/');
}

function decideRecord(raw: unknown): RecordDecision {
  const parsed = s3RecordSchema.safeParse(raw);
  if (!parsed.success) return { skipped: { reason: 'not_s3_record' } };
  return decideS3Record(parsed.data);
}

function decideS3Record(record: S3Record): RecordDecision {
  const { eventName } = record;
  const encodedKey = record.s3.object.key;

  // Removals and restores name no new input; copies and multipart completions do.
  if (!eventName.startsWith('ObjectCreated:')) {
    return { skipped: { reason: 'not_object_created', eventName, key: encodedKey } };
  }

  let key: string;
  try {
    key = decodeS3EventKey(encodedKey);
  } catch {
    return { skipped: { reason: 'undecodable_key', eventName, key: encodedKey } };
  }

  if (!key.startsWith(BATCH_INPUT_PREFIX) || key.endsWith('/')) {
    return { skipped: { reason: 'outside_input_prefix', eventName, key } };
  }

  const { eTag, versionId, sequencer, size } = record.s3.object;
  const job: BatchObjectRef = { bucket: record.s3.bucket.name, key, eventName };
  if (eTag !== undefined) job.eTag = eTag.replace(/"/g, '');
  if (versionId !== undefined && versionId !== '') job.versionId = versionId;
  if (sequencer !== undefined) job.sequencer = sequencer;
  if (size !== undefined) job.size = size;
  return { job };
}

function recordsOf(event: unknown): unknown[] {
  if (typeof event !== 'object' || event === null) return [];
  const records = (event as { Records?: unknown }).Records;
  return Array.isArray(records) ? records : [];
}

function isSqsRecord(record: unknown): record is { messageId: string; body: string } {
  if (typeof record !== 'object' || record === null) return false;
  const candidate = record as { eventSource?: unknown; messageId?: unknown; body?: unknown };
  return (
    candidate.eventSource === 'aws:sqs' &&
    typeof candidate.messageId === 'string' &&
    typeof candidate.body === 'string'
  );
}

function decodeSqsBody(body: string): RecordDecision[] {
  let inner: unknown;
  try {
    inner = JSON.parse(body);
  } catch {
    return [{ skipped: { reason: 'not_s3_record' } }];
  }

  // S3 sends an `s3:TestEvent` message when a notification is first configured: no records.
  return recordsOf(inner).map(decideRecord);
}

/**
 * Splits a Lambda event (an S3 notification, or an SQS batch whose bodies are S3 notifications)
 * into messages and what each record in them means for the batch function.
 *
 * @example
 * decodeBatchEvent(sqsEvent).forEach(({ messageId, decisions }) => ...)
 */
export function decodeBatchEvent(event: unknown): DecodedMessage[] {
  const records = recordsOf(event);
  if (records.length > 0 && records.every(isSqsRecord)) {
    return records.map((record) => ({
      messageId: record.messageId,
      decisions: decodeSqsBody(record.body),
    }));
  }
  return [{ decisions: records.map(decideRecord) }];
}
