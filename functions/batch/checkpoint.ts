/**
 * @module
 * A job's identity and the state it keeps in its own output folder: the checkpoint a redelivered
 * event resumes from, and the lease that keeps a duplicate event from running the job twice at once.
 */
import { createHash, randomUUID } from 'node:crypto';
import { basename } from 'node:path';

import { z } from 'zod';

import { BATCH_INPUT_PREFIX } from './events.js';
import type { OutputState } from './output.js';
import type { JobCounters } from './stats.js';
import type { JobStore } from './store.js';

/** Output file names inside a job's folder. */
export const JOB_FILES = {
  results: 'results.jsonl',
  errors: 'errors.jsonl',
  report: 'report.json',
  progress: 'progress.json',
  checkpoint: '_checkpoint.json',
  lease: '_lease.json',
} as const;

/** What names a job: the input object and the exact version of it. */
export interface JobIdentity {
  /** Short hash of the input's bucket, key and version or ETag. */
  id: string;
  /** Folder name: the input's name under `batch/input/` (no `.jsonl`) plus the id. */
  name: string;
  /** The input as it was named (bucket, key, eTag, versionId, or a local path). */
  source: Record<string, string>;
}

/**
 * Names the job for one input version. The same object twice (same bucket, key and version or
 * ETag) is the same job, so a duplicate event finds the first one's outputs.
 *
 * @example jobIdentity({ bucket: 'b', key: 'batch/input/spring launch.jsonl', eTag: 'abc' }).name
 *   // 'spring launch-<12 hex>'
 */
export function jobIdentity(source: Record<string, string | undefined>): JobIdentity {
  const kept = Object.fromEntries(
    Object.entries(source).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const version = kept.versionId ?? kept.eTag ?? '';
  const place = kept.bucket === undefined ? (kept.path ?? '') : `${kept.bucket}\u0000${kept.key}`;
  const id = createHash('sha256').update(`${place}\u0000${version}`).digest('hex').slice(0, 12);

  // S3 jobs keep the key's folders under batch/input/; local files keep their file name.
  const key = kept.key ?? '';
  const base =
    kept.bucket === undefined
      ? basename(kept.path ?? 'input')
      : key.startsWith(BATCH_INPUT_PREFIX)
        ? key.slice(BATCH_INPUT_PREFIX.length)
        : key;
  // "." and ".." segments are dropped: a key such as batch/input/../x.jsonl must not name a job
  // whose outputs would land outside batch/output/ (a file-backed server resolves them).
  const safe = base
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.' && segment !== '..')
    .join('/');
  const stem = safe.replace(/\.jsonl?$/i, '') || 'input';
  return { id, name: `${stem}-${id}`, source: kept };
}

const outputStateSchema = z.object({
  uploadId: z.string().optional(),
  parts: z.array(z.object({ partNumber: z.number().int(), eTag: z.string() })),
  tail: z.string(),
  done: z.boolean().optional(),
});

const checkpointSchema = z.object({
  version: z.literal(1),
  jobId: z.string(),
  phase: z.enum(['running', 'finishing']),
  offset: z.number().int().nonnegative(),
  line: z.number().int().nonnegative(),
  startedAt: z.string(),
  counters: z.custom<JobCounters>((value) => typeof value === 'object' && value !== null),
  results: outputStateSchema,
  errors: outputStateSchema,
});

/** Everything a resumed job needs: where to read on, the outputs' uploads, the figures so far. */
export interface Checkpoint {
  version: 1;
  jobId: string;
  /** `finishing` once every line is in; only the outputs' completion is left. */
  phase: 'running' | 'finishing';
  /** Byte offset of the first input line not yet committed. */
  offset: number;
  /** Lines committed so far. */
  line: number;
  startedAt: string;
  counters: JobCounters;
  results: OutputState;
  errors: OutputState;
}

/** Reads a job's checkpoint; one for another job in the same folder is an error that says so. */
export async function loadCheckpoint(
  store: JobStore,
  jobId: string,
): Promise<Checkpoint | undefined> {
  const text = await store.readText(JOB_FILES.checkpoint);
  if (text === undefined) return undefined;

  const checkpoint = checkpointSchema.parse(JSON.parse(text)) as Checkpoint;
  if (checkpoint.jobId !== jobId) {
    throw new Error(
      `${store.location} holds a checkpoint of job ${checkpoint.jobId}, not ${jobId}: ` +
        'use another output folder',
    );
  }
  return checkpoint;
}

/** Saves a job's checkpoint. */
export async function saveCheckpoint(store: JobStore, checkpoint: Checkpoint): Promise<void> {
  await store.writeText(JOB_FILES.checkpoint, JSON.stringify(checkpoint));
}

interface LeaseBody {
  owner: string;
  expiresAt: number;
}

function readLease(text: string | undefined): LeaseBody | undefined {
  if (text === undefined) return undefined;
  try {
    const body = JSON.parse(text) as Partial<LeaseBody>;
    if (typeof body.owner === 'string' && typeof body.expiresAt === 'number') {
      return { owner: body.owner, expiresAt: body.expiresAt };
    }
  } catch {
    // A torn or foreign lease file counts as no lease.
  }
  return undefined;
}

/**
 * A claim on a job for one worker until a time, kept as an object in the job's folder. It is how
 * a second delivery of an event, arriving while the first still runs, knows to leave the job alone.
 */
export class JobLease {
  readonly owner = randomUUID();
  /** Set by release: a renewal still on its way must not bring the lease back. */
  #released = false;
  /** The renewal being written, which release waits for. */
  #renewal: Promise<void> = Promise.resolve();

  constructor(private readonly store: JobStore) {}

  /**
   * Takes the job until `expiresAt` (epoch ms); false when another live worker holds it.
   * An expired lease (its worker died) is taken over.
   */
  async acquire(expiresAt: number): Promise<boolean> {
    const current = readLease(await this.store.readText(JOB_FILES.lease));
    if (current !== undefined && current.expiresAt > Date.now() && current.owner !== this.owner) {
      return false;
    }
    if (current !== undefined) await this.store.remove(JOB_FILES.lease);

    this.#released = false;
    return this.store.createExclusive(JOB_FILES.lease, this.body(expiresAt));
  }

  /**
   * Extends the lease while the job runs. Renewals are written one after another, and none after
   * release: lines finishing side by side each renew, and one landing after the release would
   * leave a lease that keeps the next delivery `busy` until it expires.
   */
  async renew(expiresAt: number): Promise<void> {
    const write = this.#renewal.then(async () => {
      if (!this.#released) await this.store.writeText(JOB_FILES.lease, this.body(expiresAt));
    });
    this.#renewal = write.catch(() => undefined);
    await write;
  }

  /** Gives the job up, so a redelivered event can resume it at once. */
  async release(): Promise<void> {
    this.#released = true;
    await this.#renewal;
    const current = readLease(await this.store.readText(JOB_FILES.lease));
    if (current?.owner === this.owner) await this.store.remove(JOB_FILES.lease);
  }

  private body(expiresAt: number): string {
    return JSON.stringify({ owner: this.owner, expiresAt } satisfies LeaseBody);
  }
}
