/**
 * Shared pieces of the batch tests: a scripted copy pipeline (deterministic answers, engine faults
 * on cue), S3 event builders and a logger that keeps quiet.
 */
import { parseBrief, type Brief } from '../../layers/copy/index.js';
import { EngineError } from '../../layers/engine-client/index.js';
import {
  encodeS3EventKey,
  type BatchLogger,
  type BatchPipeline,
} from '../../functions/batch/index.js';
import { FIELD_CASE_BRIEF } from '../helpers/briefs.js';

/** The case brief B of shared/cases/README.md, with an id. */
export function brief(
  id: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return { id, ...FIELD_CASE_BRIEF, features: [...FIELD_CASE_BRIEF.features], ...overrides };
}

/** JSONL of briefs. */
export function jsonl(records: unknown[], newline = '\n'): string {
  return records.map((record) => JSON.stringify(record)).join(newline) + newline;
}

/** A logger that drops everything (the job's logging is not under test here). */
export const quietLogger: BatchLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as BatchLogger;

/** What a scripted call does: answer, or throw the returned error. */
export type Script = (brief: Brief, call: number) => Error | undefined;

/** A pipeline whose answers depend only on the brief, so two runs can be compared line by line. */
export interface ScriptedPipeline extends BatchPipeline<Brief> {
  /** Engine calls per brief id. */
  calls: Map<string, number>;
  totalCalls(): number;
}

/**
 * The real brief validation with a scripted `generate` in place of the copy pipeline: answers are
 * deterministic, and engine faults come on cue. The pipeline itself is tested in test/copy.
 */
export function scriptedPipeline(script: Script = () => undefined, delayMs = 0): ScriptedPipeline {
  const calls = new Map<string, number>();
  return {
    calls,
    totalCalls: () => [...calls.values()].reduce((sum, n) => sum + n, 0),
    parseBrief,
    async generate(brief, options) {
      const key = brief.id ?? brief.product;
      const call = (calls.get(key) ?? 0) + 1;
      calls.set(key, call);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      options.signal?.throwIfAborted();

      const error = script(brief, call);
      if (error !== undefined) throw error;
      return {
        id: `copy-${key}`,
        cached: false,
        degraded: false,
        usage: { promptTokens: 10, completionTokens: 5 },
        variants: Array.from({ length: brief.variants }, (_, index) => ({
          index,
          text: `${brief.product} ${index}`,
          compliance: {
            ok: index !== 2,
            violations: index === 2 ? [{ category: 'absolute_terms' }] : [],
          },
        })),
      };
    },
  };
}

/** An engine fault as the engine client raises it. */
export function engineDown(): EngineError {
  return new EngineError(503, 'engine_unavailable', 'engine is unavailable: loading', {
    retryable: true,
  });
}

/** A throttle as the engine client raises it, with no wait asked. */
export function engineThrottled(): EngineError {
  return new EngineError(503, 'engine_throttled', 'engine is throttling requests', {
    retryAfterS: 0,
  });
}

/** An S3 notification for one object, its key encoded as S3 encodes it. */
export function s3Event(bucket: string, key: string, eventName = 'ObjectCreated:Put') {
  return {
    Records: [
      {
        eventSource: 'aws:s3',
        eventName,
        s3: { bucket: { name: bucket }, object: { key: encodeS3EventKey(key), sequencer: '0A1B' } },
      },
    ],
  };
}

/** The same notification wrapped in one SQS message. */
export function sqsEvent(messageId: string, s3: ReturnType<typeof s3Event>) {
  return { Records: [{ eventSource: 'aws:sqs', messageId, body: JSON.stringify(s3) }] };
}

/** Parses a JSONL output into records. */
export function readJsonl(text: string | undefined): Array<Record<string, unknown>> {
  if (text === undefined) return [];
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}
