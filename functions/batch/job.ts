/**
 * @module
 * Runs one batch job: reads the input from its checkpoint on, sends every good brief through the
 * copy pipeline with bounded concurrency, and commits outcomes strictly in input order, so a job
 * stopped at any point resumes with no line lost and none written twice.
 */
import { setMaxListeners } from 'node:events';

import type { Logger } from '@aws-lambda-powertools/logger';

import {
  JOB_FILES,
  JobLease,
  loadCheckpoint,
  saveCheckpoint,
  type Checkpoint,
  type JobIdentity,
} from './checkpoint.js';
import { DEFAULT_MAX_LINE_BYTES, splitLines, type InputLine } from './lines.js';
import { DEFAULT_PART_BYTES, JsonlOutput } from './output.js';
import { classifyFailure, type BatchPipeline, type BriefIssue } from './pipeline.js';
import {
  emptyCounters,
  recordCopy,
  recordError,
  recordLatency,
  summarise,
  type JobCounters,
} from './stats.js';
import type { InputSource, JobStore } from './store.js';
import { EngineThrottle } from './throttle.js';

/** The logger methods the job uses (Powertools' Logger fits). */
export type BatchLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** Tuning of one job run; every field has a default fit for Lambda. */
export interface BatchJobOptions {
  /** Most briefs in the pipeline at once; lowered while the engine throttles. @default 8 */
  concurrency?: number;
  /** Longest input line, in bytes. @default 1 MiB */
  maxLineBytes?: number;
  /** Multipart part size of the outputs (S3 needs at least 5 MiB). @default 8 MiB */
  partBytes?: number;
  /** Longest time between checkpoints while lines commit. @default 30 s */
  checkpointIntervalMs?: number;
  /** Longest time between progress updates. @default 2 s */
  progressIntervalMs?: number;
  /** Time left before the host stops this run (Lambda's `getRemainingTimeInMillis`). */
  remainingTimeMs?: () => number;
  /** Stop taking lines when this much time is left; in-flight calls are cut at half. @default 60s */
  stopMarginMs?: number;
  /** Stops the run gracefully: no new lines, in-flight ones finish, then a checkpoint. */
  signal?: AbortSignal;
  /** Tries of one line through engine faults before the job is interrupted. @default 5 */
  engineAttempts?: number;
  /** First back-off after an engine fault; doubles per try, with jitter. @default 500 ms */
  retryBaseMs?: number;
  /** How long a worker's claim lasts without a deadline (renewed as it runs). @default 5 min */
  leaseMs?: number;
  /** Called with the progress figures whenever they are saved (the CLI's progress bar). */
  onProgress?: (progress: JobProgress) => void;
}

/** Everything a job run needs. */
export interface BatchJobDeps<TBrief> {
  job: JobIdentity;
  input: InputSource;
  store: JobStore;
  pipeline: BatchPipeline<TBrief>;
  logger: BatchLogger;
  options?: BatchJobOptions;
}

/** The progress object, as saved to `progress.json` and passed to `onProgress`. */
export interface JobProgress {
  job: { id: string; name: string };
  status: 'running' | 'interrupted' | 'completed';
  input_bytes: number;
  bytes_done: number;
  lines_done: number;
  updated_at: string;
  counts: ReturnType<typeof summarise>['counts'];
}

/** How a run ended. */
export type JobOutcome =
  | { status: 'completed'; report: JobReport }
  | { status: 'already_completed'; report: JobReport }
  /** Another worker holds the job (a duplicate event arrived while it runs). */
  | { status: 'busy' }
  /** Stopped early (deadline, signal or engine fault); a redelivery resumes it. */
  | { status: 'interrupted'; reason: string; progress: JobProgress };

/** `report.json`. */
export type JobReport = {
  job: JobIdentity;
  status: 'completed';
  started_at: string;
  finished_at: string;
  wall_ms: number;
  outputs: { results: string; errors: string };
} & ReturnType<typeof summarise>;

/** One input line's outcome, waiting for its turn to be committed. */
type LineOutcome =
  | { kind: 'blank' }
  | { kind: 'result'; record: Record<string, unknown>; response: unknown; latencyMs: number }
  | { kind: 'error'; record: ErrorRecord }
  | { kind: 'fault'; reason: string; message: string };

/** One line of `errors.jsonl`. */
interface ErrorRecord {
  line: number;
  id?: string;
  reason: string;
  message: string;
  issues?: BriefIssue[];
}

interface Pending {
  line: InputLine;
  outcome?: LineOutcome;
  settled: Promise<void>;
}

const DEFAULTS = {
  concurrency: 8,
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  partBytes: DEFAULT_PART_BYTES,
  checkpointIntervalMs: 30_000,
  progressIntervalMs: 2_000,
  stopMarginMs: 60_000,
  engineAttempts: 5,
  retryBaseMs: 500,
  leaseMs: 5 * 60_000,
};

/** Abort listeners one pipeline call may hold on the run's signal at once (ours and the client's). */
const LISTENERS_PER_CALL = 4;

/** Throttles are retried much longer than faults: a full queue is the engine working. */
const OVERLOAD_ATTEMPTS_FACTOR = 10;

function idOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const id = (raw as { id?: unknown }).id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

function lineError(line: number, reason: string, message: string, raw?: unknown): LineOutcome {
  const record: ErrorRecord = { line, reason, message };
  const id = idOf(raw);
  if (id !== undefined) record.id = id;
  return { kind: 'error', record };
}

function describeIssues(issues: BriefIssue[]): string {
  return issues.map((issue) => `${issue.path || '(brief)'}: ${issue.message}`).join('; ');
}

/** One run of one job; `runBatchJob` below is its public face. */
class JobRun<TBrief> {
  private readonly options: Required<
    Omit<BatchJobOptions, 'remainingTimeMs' | 'signal' | 'onProgress'>
  >;
  private readonly throttle: EngineThrottle;
  private readonly lease: JobLease;
  private readonly inflight = new AbortController();
  private readonly runStartedAt = Date.now();
  private counters: JobCounters = emptyCounters();
  private activeMsBefore = 0;
  private startedAt = new Date().toISOString();
  private offset = 0;
  private line = 0;
  private results!: JsonlOutput;
  private errors!: JsonlOutput;
  private fault: { reason: string; message: string } | undefined;
  private lastCheckpointAt = Date.now();
  private lastProgressAt = 0;

  constructor(private readonly deps: BatchJobDeps<TBrief>) {
    this.options = { ...DEFAULTS, ...stripUndefined(deps.options ?? {}) };
    this.throttle = new EngineThrottle(this.options.concurrency);
    // Every call in flight listens on this one signal (the pipeline and engine client too).
    setMaxListeners(this.options.concurrency * LISTENERS_PER_CALL, this.inflight.signal);
    this.lease = new JobLease(deps.store);
  }

  async run(): Promise<JobOutcome> {
    const done = await this.findReport();
    if (done !== undefined) return { status: 'already_completed', report: done };

    if (!(await this.lease.acquire(this.leaseExpiry()))) return { status: 'busy' };
    try {
      return await this.runLeased();
    } finally {
      await this.lease.release();
    }
  }

  private async runLeased(): Promise<JobOutcome> {
    // A worker that finished just before we took the lease left its report behind.
    const done = await this.findReport();
    if (done !== undefined) return { status: 'already_completed', report: done };

    const checkpoint = await loadCheckpoint(this.deps.store, this.deps.job.id);
    this.restore(checkpoint);
    this.counters.runs += 1;
    this.log('info', 'batch job started', { resumed_from_line: this.line, offset: this.offset });

    try {
      if (checkpoint?.phase !== 'finishing') {
        const stopped = await this.processInput();
        if (stopped !== undefined) return await this.interrupt(stopped);
      }
      return await this.complete();
    } catch (error) {
      if ((error as { name?: unknown }).name === 'NoSuchUpload') await this.forgetLostUpload();
      throw error;
    }
  }

  /**
   * An output's multipart upload is gone (a lifecycle rule aborted it while the job waited): its
   * parts cannot be recovered, so the checkpoint goes and the next delivery starts from line 1.
   */
  private async forgetLostUpload(): Promise<void> {
    this.log('warn', 'an output upload is gone; the job restarts from the first line', {
      line: this.line,
    });
    await this.deps.store.remove(JOB_FILES.checkpoint);
  }

  private restore(checkpoint: Checkpoint | undefined): void {
    const { store } = this.deps;
    const { partBytes } = this.options;
    if (checkpoint !== undefined) {
      this.counters = checkpoint.counters;
      this.activeMsBefore = checkpoint.counters.activeMs;
      this.startedAt = checkpoint.startedAt;
      this.offset = checkpoint.offset;
      this.line = checkpoint.line;
    }
    this.results = new JsonlOutput(store, JOB_FILES.results, partBytes, checkpoint?.results);
    this.errors = new JsonlOutput(store, JOB_FILES.errors, partBytes, checkpoint?.errors);
  }

  /** Reads and processes lines until the input ends (undefined) or the run must stop (why). */
  private async processInput(): Promise<string | undefined> {
    const stream = await this.deps.input.open(this.offset);
    const lines = splitLines(stream, {
      startOffset: this.offset,
      startLine: this.line,
      maxLineBytes: this.options.maxLineBytes,
    });
    const window: Pending[] = [];
    const windowMax = this.options.concurrency * 4;
    const deadlineWatch = setInterval(() => this.watchDeadline(), 250);

    try {
      for await (const line of lines) {
        if (this.stopReason() !== undefined) break;
        window.push(await this.start(line));
        await this.commitSettled(window);
        while (window.length >= windowMax && this.fault === undefined) {
          await window[0]!.settled;
          await this.commitSettled(window);
        }
      }
      for (const pending of [...window]) {
        await pending.settled;
        await this.commitSettled(window);
      }
    } finally {
      clearInterval(deadlineWatch);
    }
    return this.stopReason();
  }

  /** Starts one line; blank and broken lines settle at once, briefs once the pipeline answers. */
  private async start(line: InputLine): Promise<Pending> {
    if (line.kind !== 'text')
      return { line, outcome: this.outcomeOfRaw(line), settled: Promise.resolve() };

    let raw: unknown;
    try {
      raw = JSON.parse(line.text);
    } catch (error) {
      const outcome = lineError(line.line, 'invalid_json', (error as Error).message);
      return { line, outcome, settled: Promise.resolve() };
    }

    const parsed = this.deps.pipeline.parseBrief(raw);
    if (!parsed.success) {
      const outcome = lineError(line.line, 'invalid_brief', describeIssues(parsed.issues), raw);
      (outcome as { record: ErrorRecord }).record.issues = parsed.issues;
      return { line, outcome, settled: Promise.resolve() };
    }

    // Take a slot before reading on, so the reader never runs far ahead of the engine.
    try {
      await this.throttle.acquire(this.inflight.signal);
    } catch {
      const outcome: LineOutcome = { kind: 'fault', reason: 'stopped', message: 'run stopped' };
      return { line, outcome, settled: Promise.resolve() };
    }
    const pending: Pending = { line, settled: Promise.resolve() };
    pending.settled = this.generate(line.line, raw, parsed.data)
      .then((outcome) => {
        pending.outcome = outcome;
        if (outcome.kind === 'fault' && outcome.reason !== 'stopped') this.onFault(outcome);
      })
      .finally(() => this.throttle.release());
    return pending;
  }

  /** An engine fault outlasted its retries: stop, and cut the calls after it (redone on resume). */
  private onFault(fault: { reason: string; message: string }): void {
    if (this.fault !== undefined) return;
    this.fault = fault;
    this.inflight.abort(new Error(`engine fault: ${fault.reason}`));
  }

  private outcomeOfRaw(line: Exclude<InputLine, { kind: 'text' }>): LineOutcome {
    if (line.kind === 'blank') return { kind: 'blank' };
    if (line.kind === 'invalid_utf8') {
      return lineError(line.line, 'invalid_utf8', 'line is not valid UTF-8');
    }
    const limit = this.options.maxLineBytes;
    return lineError(
      line.line,
      'line_too_large',
      `line is ${line.bytes} bytes; the limit is ${limit}`,
    );
  }

  /** Sends one brief through the pipeline, backing off through throttles and engine faults. */
  private async generate(line: number, raw: unknown, brief: TBrief): Promise<LineOutcome> {
    const requestId = `batch-${this.deps.job.id}-${line}`;
    const maxFaults = this.options.engineAttempts;
    let faults = 0;
    let overloads = 0;

    for (;;) {
      const startedAt = performance.now();
      try {
        await this.throttle.waitOutPause(this.inflight.signal);
        const response = await this.deps.pipeline.generate(brief, {
          signal: this.inflight.signal,
          requestId,
        });
        this.throttle.onSuccess();
        const record: Record<string, unknown> = { line };
        const id = idOf(raw);
        if (id !== undefined) record.id = id;
        record.copy = response;
        return { kind: 'result', record, response, latencyMs: performance.now() - startedAt };
      } catch (error) {
        const failure = classifyFailure(error, this.inflight.signal.aborted);
        if (failure.kind === 'line_rejected') {
          return lineError(line, failure.reason, failure.message, raw);
        }
        if (failure.kind === 'stopped')
          return { kind: 'fault', reason: 'stopped', message: failure.message };

        this.counters.engineRetries += 1;
        if (failure.kind === 'engine_overloaded') {
          overloads += 1;
          this.throttle.onOverload(failure.retryAfterS);
          if (overloads <= maxFaults * OVERLOAD_ATTEMPTS_FACTOR) continue;
        } else {
          faults += 1;
          if (faults < maxFaults) {
            this.throttle.pause(this.backoffMs(faults, failure.retryAfterS));
            this.log('warn', 'engine fault; backing off', {
              line,
              reason: failure.reason,
              tries: faults,
            });
            continue;
          }
        }
        return { kind: 'fault', reason: failure.reason, message: failure.message };
      }
    }
  }

  private backoffMs(tries: number, retryAfterS?: number): number {
    const exponential = this.options.retryBaseMs * 2 ** (tries - 1);
    const jittered = exponential / 2 + Math.random() * (exponential / 2);
    return Math.max(jittered, (retryAfterS ?? 0) * 1000);
  }

  /** Commits settled lines from the front of the window, in input order; stops at a fault. */
  private async commitSettled(window: Pending[]): Promise<void> {
    while (window.length > 0) {
      const head = window[0]!;
      if (head.outcome === undefined || head.outcome.kind === 'fault') return;
      window.shift();
      await this.commit(head.line, head.outcome);
    }
  }

  private async commit(
    line: InputLine,
    outcome: Exclude<LineOutcome, { kind: 'fault' }>,
  ): Promise<void> {
    let sentPart = false;
    if (outcome.kind === 'blank') {
      this.counters.blank += 1;
    } else if (outcome.kind === 'error') {
      sentPart = await this.errors.append(outcome.record);
      recordError(this.counters, outcome.record.reason);
    } else {
      sentPart = await this.results.append(outcome.record);
      recordCopy(this.counters, outcome.response);
      recordLatency(this.counters, outcome.latencyMs);
    }
    this.counters.lines += 1;
    this.line = line.line;
    this.offset = line.endOffset;

    // A part just uploaded is only kept if the checkpoint names it: save one now.
    const now = Date.now();
    if (sentPart || now - this.lastCheckpointAt >= this.options.checkpointIntervalMs) {
      await this.checkpoint('running');
    }
    if (now - this.lastProgressAt >= this.options.progressIntervalMs)
      await this.saveProgress('running');
  }

  private stopReason(): string | undefined {
    if (this.fault !== undefined) return `engine_fault: ${this.fault.reason}`;
    if (this.deps.options?.signal?.aborted) return 'stopped';
    if (this.remainingMs() < this.options.stopMarginMs) return 'deadline';
    return undefined;
  }

  /** Cuts in-flight calls when the host's deadline is close; their lines are redone on resume. */
  private watchDeadline(): void {
    if (this.remainingMs() < this.options.stopMarginMs / 2)
      this.inflight.abort(new Error('deadline'));
  }

  private remainingMs(): number {
    return this.deps.options?.remainingTimeMs?.() ?? Number.POSITIVE_INFINITY;
  }

  private leaseExpiry(): number {
    const remaining = this.remainingMs();
    return Date.now() + (Number.isFinite(remaining) ? remaining + 5_000 : this.options.leaseMs);
  }

  private async interrupt(reason: string): Promise<JobOutcome> {
    await this.checkpoint('running');
    const progress = await this.saveProgress('interrupted');
    this.log(
      'warn',
      'batch job interrupted; it resumes from its checkpoint when delivered or run again',
      { reason, line: this.line },
    );
    return { status: 'interrupted', reason, progress };
  }

  private async complete(): Promise<JobOutcome> {
    // A checkpoint after each completed output: completing one twice is not always allowed.
    await this.checkpoint('finishing');
    await this.results.finish();
    await this.checkpoint('finishing');
    await this.errors.finish();

    const report = this.report();
    await this.deps.store.writeText(JOB_FILES.report, `${JSON.stringify(report, null, 2)}\n`);
    await this.deps.store.remove(JOB_FILES.checkpoint);
    await this.saveProgress('completed');
    this.log('info', 'batch job completed', {
      ...report.counts,
      copies_per_hour: report.copies.copies_per_hour,
    });
    return { status: 'completed', report };
  }

  private report(): JobReport {
    const finishedAt = new Date();
    return {
      job: this.deps.job,
      status: 'completed',
      started_at: this.startedAt,
      finished_at: finishedAt.toISOString(),
      wall_ms: finishedAt.getTime() - Date.parse(this.startedAt),
      outputs: {
        results: this.deps.store.locationOf(JOB_FILES.results),
        errors: this.deps.store.locationOf(JOB_FILES.errors),
      },
      ...summarise(this.counters),
    };
  }

  private async findReport(): Promise<JobReport | undefined> {
    const text = await this.deps.store.readText(JOB_FILES.report);
    if (text === undefined) return undefined;

    const report = JSON.parse(text) as JobReport;
    if (report.job?.id !== this.deps.job.id) {
      throw new Error(
        `${this.deps.store.location} holds the report of another job (${report.job?.id})`,
      );
    }
    return report;
  }

  private async checkpoint(phase: Checkpoint['phase']): Promise<void> {
    this.counters.activeMs = this.activeMsBefore + (Date.now() - this.runStartedAt);
    await saveCheckpoint(this.deps.store, {
      version: 1,
      jobId: this.deps.job.id,
      phase,
      offset: this.offset,
      line: this.line,
      startedAt: this.startedAt,
      counters: this.counters,
      results: this.results.snapshot(),
      errors: this.errors.snapshot(),
    });
    this.lastCheckpointAt = Date.now();
    await this.lease.renew(this.leaseExpiry());
  }

  private async saveProgress(status: JobProgress['status']): Promise<JobProgress> {
    this.counters.activeMs = this.activeMsBefore + (Date.now() - this.runStartedAt);
    const progress: JobProgress = {
      job: { id: this.deps.job.id, name: this.deps.job.name },
      status,
      input_bytes: this.deps.input.size,
      bytes_done: this.offset,
      lines_done: this.line,
      updated_at: new Date().toISOString(),
      counts: summarise(this.counters).counts,
    };
    await this.deps.store.writeText(JOB_FILES.progress, JSON.stringify(progress));
    this.lastProgressAt = Date.now();
    this.deps.options?.onProgress?.(progress);
    return progress;
  }

  private log(level: 'info' | 'warn', message: string, extra: Record<string, unknown>): void {
    this.deps.logger[level](message, {
      job_id: this.deps.job.id,
      job: this.deps.job.name,
      ...extra,
    });
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Runs (or resumes) one batch job to completion or to a clean stop. A job whose report exists is
 * not run again; one another worker holds is left alone (`busy`).
 *
 * @example
 * const outcome = await runBatchJob({ job, input, store, pipeline, logger });
 * if (outcome.status === 'interrupted') throw new Error(outcome.reason); // let SQS redeliver
 */
export async function runBatchJob<TBrief>(deps: BatchJobDeps<TBrief>): Promise<JobOutcome> {
  return new JobRun(deps).run();
}
