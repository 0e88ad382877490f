import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  FileInputSource,
  FsJobStore,
  jobIdentity,
  runBatchJob,
  type BatchJobOptions,
} from '../../functions/batch/index.js';
import { brief, jsonl, quietLogger, readJsonl, scriptedPipeline } from './fixtures.js';

let folder: string;
const lines = Array.from({ length: 30 }, (_, i) => brief(`f${i}`, { product: `冷泡乌龙 ${i}号` }));
const body = `${jsonl(lines.slice(0, 10))}{"brand":\n\r\n${jsonl(lines.slice(10))}`;
// Parts of ~600 bytes: several parts per output, joined on completion.
const small: BatchJobOptions = { partBytes: 600, concurrency: 3 };

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'adcopy-batch-files-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function runLocal(name: string, options: BatchJobOptions, pipeline = scriptedPipeline()) {
  const path = join(folder, `${name}.jsonl`);
  // Written once: a rewritten file is a new job (its modification time is part of its identity).
  await writeFile(path, body, { flag: 'wx' }).catch(() => undefined);
  const input = await FileInputSource.open(path);
  const job = jobIdentity({ path, eTag: `${input.size}-${input.modifiedMs}` });
  const store = new FsJobStore(join(folder, `${name}.out`));
  return runBatchJob({ job, input, store, pipeline, logger: quietLogger, options });
}

async function outputs(name: string) {
  const out = join(folder, `${name}.out`);
  return {
    files: (await readdir(out)).sort(),
    results: readJsonl(await readFile(join(out, 'results.jsonl'), 'utf8')),
    errors: readJsonl(await readFile(join(out, 'errors.jsonl'), 'utf8')),
  };
}

describe('Function: runBatchJob on a local file and folder (the CLI path)', () => {
  it('resumes a stopped run to outputs equal to an uninterrupted one, joining multipart parts', async () => {
    const whole = await runLocal('whole', small);
    const stop = new AbortController();
    const stopping = scriptedPipeline((b) =>
      b.id === 'f14' ? (stop.abort(), undefined) : undefined,
    );

    const first = await runLocal('stopped', { ...small, signal: stop.signal }, stopping);
    const second = await runLocal('stopped', small);

    expect(whole.status).toBe('completed');
    expect(first.status).toBe('interrupted');
    expect(second.status).toBe('completed');
    const [expected, resumed] = [await outputs('whole'), await outputs('stopped')];
    expect(resumed.results).toHaveLength(30);
    expect(resumed.results).toEqual(expected.results);
    expect(resumed.errors).toEqual([expect.objectContaining({ line: 11, reason: 'invalid_json' })]);
    expect(resumed.files).toEqual([
      'errors.jsonl',
      'progress.json',
      'report.json',
      'results.jsonl',
    ]);
  });

  it('fails clearly when the output folder holds another job', async () => {
    await runLocal('shared', small);
    await writeFile(join(folder, 'shared.jsonl'), `${body}${jsonl([brief('extra')])}`);
    const path = join(folder, 'shared.jsonl');
    const input = await FileInputSource.open(path);
    const job = jobIdentity({ path, eTag: `${input.size}-${input.modifiedMs}` });
    const store = new FsJobStore(join(folder, 'shared.out'));

    const run = runBatchJob({
      job,
      input,
      store,
      pipeline: scriptedPipeline(),
      logger: quietLogger,
    });

    await expect(run).rejects.toThrow(/holds the report of another job/);
  });
});
